"""OutboundMessage to Graph API bodies: buttons, lists, numbered text, splits and limits."""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.channels.whatsapp_render import (
    MAX_TEXT,
    PLACEHOLDER_BODY,
    fit,
    mark_read_body,
    render,
    render_template,
    split_text,
    wa_len,
)
from dialogs.messages import Choice, OutboundMessage
from tests.fakes.graph_api import Rejected, check_send_body

TO = "+6281234567890"
BSUID = "US.13491208655302741918"


def choices(*labels: str) -> tuple[Choice, ...]:
    return tuple(Choice(id=f"opt_{i}", label=label) for i, label in enumerate(labels))


def interactive(body: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = body["interactive"]
    return result


def test_plain_text_matches_the_documented_request_shape() -> None:
    [body] = render(OutboundMessage("Halo! Siapa nama Anda?"), TO)

    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": "text",
        "text": {"body": "Halo! Siapa nama Anda?", "preview_url": False},
    }


def test_bsuid_recipient_goes_in_the_recipient_field() -> None:
    [body] = render(OutboundMessage("Halo"), BSUID)

    assert body["recipient"] == BSUID
    assert "to" not in body


def test_three_short_choices_become_reply_buttons() -> None:
    message = OutboundMessage(
        "Apakah Anda pengambil keputusan?", choices("Ya", "Tidak", "Bersama")
    )

    [body] = render(message, TO)

    assert interactive(body) == {
        "type": "button",
        "body": {"text": "Apakah Anda pengambil keputusan?"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "opt_0", "title": "Ya"}},
                {"type": "reply", "reply": {"id": "opt_1", "title": "Tidak"}},
                {"type": "reply", "reply": {"id": "opt_2", "title": "Bersama"}},
            ]
        },
    }


def test_four_choices_become_a_list() -> None:
    message = OutboundMessage(
        "Berapa anggaran Anda?", choices("< 50 jt", "50-200 jt", "> 200 jt", "?")
    )

    [body] = render(message, TO)

    assert interactive(body)["type"] == "list"
    [section] = interactive(body)["action"]["sections"]
    assert [row["id"] for row in section["rows"]] == ["opt_0", "opt_1", "opt_2", "opt_3"]
    assert interactive(body)["action"]["button"] == "Pilih"


def test_a_21_character_title_turns_buttons_into_a_list() -> None:
    message = OutboundMessage("Kapan?", choices("Bulan ini", "x" * 21))

    [body] = render(message, TO)

    assert interactive(body)["type"] == "list"


def test_a_20_character_title_still_fits_a_button() -> None:
    message = OutboundMessage("Kapan?", choices("Bulan ini", "x" * 20))

    [body] = render(message, TO)

    assert interactive(body)["type"] == "button"


def test_accented_letters_count_as_one_character_each() -> None:
    title = "é" * 20  # 40 UTF-8 bytes, 20 characters

    [body] = render(OutboundMessage("?", choices(title)), TO)

    assert interactive(body)["action"]["buttons"][0]["reply"]["title"] == title


def test_an_emoji_counts_as_two_utf16_units() -> None:
    title = "Anggaran besar 💰💰💰"  # 15 BMP characters + 3 astral = 21 units

    [body] = render(OutboundMessage("?", choices(title, "Kecil")), TO)

    assert wa_len(title) == 21
    assert interactive(body)["type"] == "list"


def test_duplicate_titles_turn_buttons_into_a_list() -> None:
    message = OutboundMessage("?", (Choice("a", "Ya"), Choice("b", "ya")))

    [body] = render(message, TO)

    assert interactive(body)["type"] == "list"


def test_long_labels_go_to_the_description_and_are_truncated_safely() -> None:
    long = "Lebih dari dua ratus juta rupiah per tahun untuk seluruh tim penjualan kami di Jakarta"
    message = OutboundMessage("Anggaran?", choices("Kecil", "Sedang", "Besar", long))

    [body] = render(message, TO)

    row = interactive(body)["action"]["sections"][0]["rows"][3]
    assert row["title"] == "Lebih dari dua ratus…"
    assert wa_len(row["title"]) <= 24
    assert wa_len(row["description"]) <= 72
    assert row["description"].startswith("Lebih dari dua ratus juta rupiah per tahun")
    assert row["description"].endswith("…")


def test_short_rows_have_no_description() -> None:
    message = OutboundMessage("?", choices("a", "b", "c", "d"))

    [body] = render(message, TO)

    assert all(
        "description" not in row for row in interactive(body)["action"]["sections"][0]["rows"]
    )


def test_eleven_choices_become_numbered_text() -> None:
    message = OutboundMessage("Industri Anda?", choices(*(f"Industri {i}" for i in range(1, 12))))

    [body] = render(message, TO)

    assert body["type"] == "text"
    text = body["text"]["body"]
    assert text.startswith("Industri Anda?\n\n1. Industri 1\n2. Industri 2\n")
    assert text.endswith("\n11. Industri 11")


def test_choice_id_too_long_for_a_list_row_becomes_numbered_text() -> None:
    message = OutboundMessage(
        "?", (Choice("x" * 201, "a"), Choice("b", "b"), Choice("c", "c"), Choice("d", "d"))
    )

    [body] = render(message, TO)

    assert body["type"] == "text"


def test_long_text_with_buttons_is_sent_first_and_the_question_stays_with_them() -> None:
    intro = "Terima kasih. " * 100  # 1400 characters
    message = OutboundMessage(f"{intro}\n\nLanjut?", choices("Ya", "Tidak"))

    first, second = render(message, TO)

    assert first["type"] == "text"
    assert first["text"]["body"] == intro.strip()
    assert interactive(second)["body"]["text"] == "Lanjut?"


def test_long_text_without_a_short_last_paragraph_gets_a_placeholder_body() -> None:
    message = OutboundMessage("kata " * 300, choices("Ya", "Tidak"))

    *texts, buttons = render(message, TO)

    assert [t["type"] for t in texts] == ["text"]
    assert interactive(buttons)["body"]["text"] == PLACEHOLDER_BODY


def test_choices_without_text_get_a_placeholder_body() -> None:
    [body] = render(OutboundMessage("", choices("Ya", "Tidak")), TO)

    assert interactive(body)["body"]["text"] == PLACEHOLDER_BODY


def test_empty_message_renders_nothing() -> None:
    assert render(OutboundMessage("  \n "), TO) == []


def test_long_text_is_split_into_chunks_within_the_limit() -> None:
    paragraph = "Ini paragraf yang cukup panjang untuk diuji. " * 20
    text = "\n\n".join([paragraph] * 10)  # about 9,000 characters

    bodies = render(OutboundMessage(text), TO)

    assert len(bodies) == 3
    assert all(wa_len(b["text"]["body"]) <= MAX_TEXT for b in bodies)
    assert " ".join(b["text"]["body"] for b in bodies).split() == text.split()


def test_split_without_spaces_never_breaks_an_emoji() -> None:
    text = "👍🏽" * 3000  # each is 2 code points, 4 UTF-16 units

    chunks = split_text(text)

    assert all(wa_len(c) <= MAX_TEXT for c in chunks)
    assert "".join(chunks) == text
    assert all(c.startswith("👍🏽") for c in chunks)


def test_fit_keeps_flags_whole() -> None:
    fitted = fit("Indonesia 🇮🇩🇮🇩🇮🇩", 15)

    assert wa_len(fitted) <= 15
    assert fitted.count("🇮🇩") * 2 == sum(1 for c in fitted if 0x1F1E6 <= ord(c) <= 0x1F1FF)


def test_template_has_body_parameters_and_quick_reply_payloads() -> None:
    body = render_template(
        TO,
        "qualibot_handoff",
        "id",
        ["Budi", "PT Maju\nJaya"],
        button_payloads=["accept:1", "reject:1"],
    )

    assert body["type"] == "template"
    assert body["template"] == {
        "name": "qualibot_handoff",
        "language": {"policy": "deterministic", "code": "id"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Budi"},
                    {"type": "text", "text": "PT Maju Jaya"},
                ],
            },
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": "0",
                "parameters": [{"type": "payload", "payload": "accept:1"}],
            },
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": "1",
                "parameters": [{"type": "payload", "payload": "reject:1"}],
            },
        ],
    }


def test_template_without_parameters_has_no_components() -> None:
    body = render_template(TO, "qualibot_followup", "id")

    assert "components" not in body["template"]


def test_mark_read_matches_the_documented_request() -> None:
    assert mark_read_body("wamid.X") == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.X",
    }
    assert mark_read_body("wamid.X", typing=True)["typing_indicator"] == {"type": "text"}


# --- property: render never produces a body the fake (and so, we claim, Meta) would reject -


any_char = st.characters(codec="utf-8", exclude_categories=["Cs"])
labels = st.one_of(
    st.text(alphabet=st.sampled_from("abc é💰🇮🇩\u0301"), min_size=1, max_size=26),
    st.text(alphabet=any_char, max_size=90),
)
ids = st.one_of(
    st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
    st.text(max_size=8),
    st.text(alphabet="ab_", min_size=190, max_size=260),
)
choice_sets = st.one_of(
    st.lists(st.builds(Choice, id=ids, label=labels), max_size=13, unique_by=lambda c: c.id),
    st.lists(st.builds(Choice, id=ids, label=labels), max_size=13),
    st.lists(  # list-sized sets with valid ids, so lists are exercised as much as buttons
        st.builds(Choice, id=st.from_regex(r"[a-z]{1,8}", fullmatch=True), label=labels),
        min_size=4,
        max_size=10,
        unique_by=lambda c: c.id,
    ),
)
pieces = st.sampled_from(["a", "kata ", " ", "\n", "\n\n", "é", "👍🏽", "🇮🇩", "\u0301", "\u200d"])
texts = st.one_of(
    st.text(max_size=60),
    st.lists(pieces, max_size=2500).map("".join),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, options=choice_sets, to=st.sampled_from([TO, BSUID]))
def test_render_never_produces_a_body_the_api_rejects(
    text: str, options: list[Choice], to: str
) -> None:
    bodies = render(OutboundMessage(text, tuple(options)), to)

    for body in bodies:
        try:
            check_send_body(body)
        except Rejected as e:  # pragma: no cover - the failure message is the point
            pytest.fail(f"rejected ({e.code}: {e.details}): {body}")
    assert bodies or not (text.strip() or options)
