"""OutboundMessage -> sendMessage bodies: keyboards, callback_data that fits, split texts."""

import pytest
from telegram import InlineKeyboardMarkup

from bot.channels.telegram import (
    EMPTY_TEXT,
    MAX_TEXT,
    RateLimiter,
    callback_data,
    keyboard,
    render,
    resolve_choice,
    split_text,
    utf16_len,
)
from bot.channels.telegram_app import rate_limiter
from bot.channels.telegram_web import SeenUpdates
from bot.config import Settings, TelegramLimits
from dialogs.messages import Choice, OutboundMessage

LONG_ID = "budget_range:" + "x" * 80


def rows(markup: InlineKeyboardMarkup | None) -> list[list[tuple[str, str | None]]]:
    assert markup is not None
    return [
        [(b.text, b.callback_data if isinstance(b.callback_data, str) else None) for b in row]
        for row in markup.inline_keyboard
    ]


def test_plain_message_is_one_part_without_keyboard() -> None:
    [part] = render(OutboundMessage("Halo! Boleh tahu nama Anda?"))

    assert (part.text, part.reply_markup) == ("Halo! Boleh tahu nama Anda?", None)


def test_short_labels_sit_two_to_a_row() -> None:
    choices = (Choice("a", "< 10"), Choice("b", "10-50"), Choice("c", "50+"))

    [part] = render(OutboundMessage("Berapa orang?", choices))

    assert rows(part.reply_markup) == [[("< 10", "a"), ("10-50", "b")], [("50+", "c")]]


def test_long_labels_sit_one_to_a_row() -> None:
    choices = (Choice("y", "Ya, saya yang memutuskan"), Choice("n", "Tidak, atasan saya"))

    [part] = render(OutboundMessage("Anda pengambil keputusan?", choices))

    assert rows(part.reply_markup) == [
        [("Ya, saya yang memutuskan", "y")],
        [("Tidak, atasan saya", "n")],
    ]


def test_two_choices_are_stacked_even_when_short() -> None:
    assert rows(keyboard((Choice("y", "Ya"), Choice("n", "Tidak")))) == [
        [("Ya", "y")],
        [("Tidak", "n")],
    ]


def test_option_id_that_fits_is_the_callback_data() -> None:
    assert callback_data("confirm:yes") == "confirm:yes"
    assert callback_data("x" * 64) == "x" * 64


def test_long_option_id_becomes_a_short_stable_token() -> None:
    data = callback_data(LONG_ID)

    assert data.startswith("#")
    assert len(data.encode()) <= 64
    assert data == callback_data(LONG_ID)


def test_multibyte_id_is_measured_in_bytes() -> None:
    wide = "é" * 40  # 40 characters, 80 bytes

    assert callback_data(wide).startswith("#")


def test_ids_starting_with_hash_are_always_tokens_so_they_cannot_be_confused() -> None:
    assert callback_data("#1") != "#1"


def test_token_resolves_to_the_current_questions_option() -> None:
    options = ["small", LONG_ID, "large"]

    assert resolve_choice(callback_data(LONG_ID), options) == LONG_ID


def test_plain_ids_and_unknown_tokens_resolve_to_themselves() -> None:
    assert resolve_choice("small", ["small"]) == "small"
    assert resolve_choice("#0000000000000000", ["small"]) == "#0000000000000000"


def test_every_rendered_callback_data_fits_telegram() -> None:
    choices = tuple(Choice(f"opt_{i}_" + "z" * (i * 7), f"Option {i}") for i in range(12))

    [part] = render(OutboundMessage("Pick", choices))

    for row in rows(part.reply_markup):
        for _, data in row:
            assert data is not None
            assert 1 <= len(data.encode()) <= 64


def test_html_looking_text_stays_literal() -> None:
    text = "Budget <b>50jt</b> & 5 < 10 > 3"

    [part] = render(OutboundMessage(text))

    assert part.text == text


def test_choices_without_text_get_a_placeholder_text() -> None:
    [part] = render(OutboundMessage("  ", (Choice("a", "A"),)))

    assert part.text == EMPTY_TEXT
    assert part.reply_markup is not None


def test_blank_message_without_choices_sends_nothing() -> None:
    assert render(OutboundMessage(" \n ")) == []


def test_long_text_splits_at_paragraphs_and_keyboard_goes_last() -> None:
    paragraph = ("Kalimat yang cukup panjang untuk diuji. " * 25).strip()
    text = "\n\n".join([paragraph] * 9)  # ~9000 characters

    parts = render(OutboundMessage(text, (Choice("ok", "OK"),)))

    assert len(parts) == 3
    assert all(utf16_len(p.text) <= MAX_TEXT for p in parts)
    assert all(p.text.endswith(".") for p in parts)  # cut between paragraphs
    assert [p.reply_markup is not None for p in parts] == [False, False, True]
    assert "\n\n".join(p.text for p in parts) == text


def test_split_without_spaces_cuts_hard_at_the_limit() -> None:
    parts = split_text("a" * 9000)

    assert [len(p) for p in parts] == [4096, 4096, 808]


def test_emoji_count_twice_and_are_never_cut_in_half() -> None:
    text = "😀" * 3000  # 3000 characters, 6000 UTF-16 units

    parts = split_text(text)

    assert [utf16_len(p) for p in parts] == [4096, 1904]
    assert "".join(parts) == text


def test_rate_limiter_allows_a_burst_per_chat_then_one_per_second() -> None:
    clock = [100.0]
    limiter = RateLimiter(chat_burst=3, monotonic=lambda: clock[0])

    waits = [limiter.reserve("42") for _ in range(5)]

    assert waits == [0.0, 0.0, 0.0, 1.0, 2.0]


def test_rate_limiter_keeps_chats_apart_but_caps_the_bot() -> None:
    clock = [100.0]
    limiter = RateLimiter(per_second=30, burst=30, monotonic=lambda: clock[0])

    waits = [limiter.reserve(str(chat)) for chat in range(31)]

    assert waits[:30] == [0.0] * 30
    assert round(waits[30], 4) == round(1 / 30, 4)


def test_rate_limiter_refills_with_time() -> None:
    clock = [100.0]
    limiter = RateLimiter(chat_burst=1, monotonic=lambda: clock[0])
    limiter.reserve("42")

    clock[0] += 1.0

    assert limiter.reserve("42") == 0.0


def test_seen_updates_remembers_ids_until_the_ttl() -> None:
    clock = [0.0]
    seen = SeenUpdates(monotonic=lambda: clock[0])

    first, repeat = seen.claim(7), seen.claim(7)
    clock[0] += 25 * 3600
    after_a_day = seen.claim(7)

    assert (first, repeat, after_a_day) == (True, False, True)


def test_seen_updates_is_bounded_and_not_a_high_water_mark() -> None:
    seen = SeenUpdates(max_entries=2)

    claims = [seen.claim(900), seen.claim(5), seen.claim(6), seen.claim(900)]

    assert claims == [True, True, True, True]  # 5 < 900 is new; 900 was evicted
    assert len(seen) == 2


def test_flood_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUALIBOT_TELEGRAM__TOKEN", "123:abc")
    monkeypatch.setenv("QUALIBOT_TELEGRAM__LIMITS__PER_CHAT_PER_SECOND", "4")
    monkeypatch.setenv("QUALIBOT_TELEGRAM__LIMITS__CHAT_BURST", "1")
    settings = Settings(_env_file=None)
    assert settings.telegram is not None

    limiter = rate_limiter(settings.telegram.limits)

    assert limiter is not None
    waits = [limiter.reserve("42") for _ in range(3)]
    assert waits[0] == 0.0
    assert 0.2 < waits[1] <= 0.25 < waits[2] <= 0.5


def test_the_bot_api_defaults_apply_unless_both_limits_are_off() -> None:
    default = rate_limiter(TelegramLimits())
    assert default is not None
    assert [default.reserve("42") for _ in range(4)][3] > 0.9  # 3 at once, then 1/s

    assert rate_limiter(TelegramLimits(per_second=0, per_chat_per_second=0)) is None
    only_global = rate_limiter(TelegramLimits(per_chat_per_second=0))
    assert only_global is not None
    assert [only_global.reserve("42") for _ in range(30)] == [0.0] * 30
