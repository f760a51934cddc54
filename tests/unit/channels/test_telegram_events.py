"""Update JSON as Telegram documents it -> TelegramEvent: what the pipeline will be told."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from bot.channels.telegram_events import (
    AnsweredQuestion,
    Blocked,
    Ignored,
    TelegramEvent,
    TelegramInbound,
    Unblocked,
    parse_update,
    to_event,
)
from bot.errors import BadPayload
from dialogs.messages import Channel
from tests.fakes.telegram_api import callback_update, text_update

PAYLOADS = Path(__file__).parents[2] / "payloads" / "telegram"
RECEIVED = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)


def event_of(name: str) -> TelegramEvent:
    return to_event(parse_update((PAYLOADS / name).read_bytes()), received_at=RECEIVED)


def event_from(update: dict[str, Any]) -> TelegramEvent:
    return to_event(parse_update(orjson.dumps(update)), received_at=RECEIVED)


def inbound_of(event: TelegramEvent) -> TelegramInbound:
    assert isinstance(event, TelegramInbound), event
    return event


def test_text_message_becomes_inbound_text_with_name_and_language() -> None:
    event = inbound_of(event_of("text_message.json"))

    message = event.message
    assert event.update_id == 10000
    assert message.channel == Channel.TELEGRAM
    assert message.channel_user_id == "1111111"
    assert message.message_id == "1111111:1365"
    assert message.text == "Hello bot"
    assert message.language_hint == "en"
    assert message.profile_name == "Test Firstname Test Lastname"
    assert message.sent_at == datetime.fromtimestamp(1441645532, tz=UTC)
    assert event.callback_id is None


def test_start_command_is_a_command_without_text() -> None:
    message = inbound_of(event_of("command_start.json")).message

    assert (message.command, message.source, message.text) == ("start", None, "")


def test_deep_link_start_payload_is_recorded_as_source() -> None:
    update = text_update(42, "/start fb_ads", update_id=1)

    message = inbound_of(event_from(update)).message

    assert (message.command, message.source) == ("start", "fb_ads")


@pytest.mark.parametrize(
    ("text", "command"),
    [("/stop", "stop"), ("/help", "help"), ("/restart", "restart"), ("/HELP@my_test_bot", "help")],
)
def test_known_commands_are_recognised(text: str, command: str) -> None:
    message = inbound_of(event_from(text_update(42, text, update_id=1))).message

    assert (message.command, message.text) == (command, "")


def test_unknown_command_stays_text() -> None:
    message = inbound_of(event_from(text_update(42, "/price please", update_id=1))).message

    assert (message.command, message.text) == (None, "/price please")


def test_button_press_carries_choice_callback_id_and_the_question_to_mark() -> None:
    event = inbound_of(event_of("callback_query.json"))

    assert event.message.choice_id == "confirm:yes"
    assert event.message.message_id == "cb:4382bfdwdsb323b2d9"
    assert event.message.sent_at == RECEIVED  # callback queries carry no date
    assert event.message.channel_user_id == "1111111"
    assert event.callback_id == "4382bfdwdsb323b2d9"
    assert event.question == AnsweredQuestion(1111111, 1367, "Do you want to continue?", "Yes")


def test_button_press_on_an_inaccessible_message_still_counts() -> None:
    question = {"chat": {"id": 42, "type": "private"}, "message_id": 7, "date": 0}
    update = callback_update(42, "yes", question=question, update_id=3)

    event = inbound_of(event_from(update))

    assert event.message.choice_id == "yes"
    assert event.question == AnsweredQuestion(42, 7, None, None)


def test_button_press_without_message_is_ignored_but_answered() -> None:
    event = event_from(callback_update(42, "yes", update_id=3))

    assert event == Ignored(3, "callback query from an inline message", "4382bfdwdsb323b2d9")


def test_own_shared_contact_fills_contact_phone() -> None:
    message = inbound_of(event_of("contact_shared_phone.json")).message

    assert (message.contact_phone, message.unsupported) == ("+15555550123", None)


def test_forwarded_contact_of_someone_else_is_unsupported() -> None:
    update = orjson.loads((PAYLOADS / "contact_shared_phone.json").read_bytes())
    update["message"]["contact"]["user_id"] = 2222222

    message = inbound_of(event_from(update)).message

    assert (message.contact_phone, message.unsupported) == (None, "contact")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("photo_message.json", "photo"),
        ("sticker_message.json", "sticker"),
        ("voice_message.json", "voice"),
    ],
)
def test_media_is_unsupported_with_its_kind(name: str, kind: str) -> None:
    message = inbound_of(event_of(name)).message

    assert (message.unsupported, message.text) == (kind, "")


def test_location_is_unsupported() -> None:
    update = text_update(42, "x", update_id=5)
    del update["message"]["text"]
    update["message"]["location"] = {"latitude": -6.2, "longitude": 106.8}

    assert inbound_of(event_from(update)).message.unsupported == "location"


def test_edited_message_is_ignored() -> None:
    event = event_of("edited_message.json")

    assert isinstance(event, Ignored)
    assert event.update_id == 10003


def test_blocking_the_bot_is_a_blocked_event() -> None:
    event = event_of("my_chat_member_blocked.json")

    assert event == Blocked(10008, "1111111", datetime.fromtimestamp(1441646000, tz=UTC))


def test_unblocking_the_bot_is_an_unblocked_event() -> None:
    event = event_of("my_chat_member_unblocked.json")

    assert event == Unblocked(10009, "1111111", datetime.fromtimestamp(1441647000, tz=UTC))


def test_group_text_keeps_its_chat_type_so_the_app_never_treats_it_as_a_prospect() -> None:
    update = text_update(42, "/start budget too small", update_id=6)
    update["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "Sales"}

    event = event_from(update)

    assert isinstance(event, TelegramInbound)
    assert event.chat_type == "supergroup"
    assert event.message.channel_user_id == "-100123"
    assert event.message.text == "/start budget too small"
    assert event.message.command is None


def test_group_media_is_ignored() -> None:
    update = text_update(42, "x", update_id=7)
    del update["message"]["text"]
    update["message"]["sticker"] = {
        "file_id": "f",
        "file_unique_id": "u",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
    update["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "Sales"}

    event = event_from(update)

    assert event == Ignored(7, "non-text message in a supergroup chat")


def test_channel_posts_are_ignored() -> None:
    update = {
        "update_id": 8,
        "channel_post": {
            "message_id": 1,
            "date": 1441645532,
            "chat": {"id": -100999, "type": "channel", "title": "News"},
            "text": "announcement",
        },
    }

    assert event_from(update) == Ignored(8, "update type channel_post is not used")


@pytest.mark.parametrize(
    "name",
    ["text_message_webhook_guide_verbatim.json", "callback_query_webhook_guide_verbatim.json"],
)
def test_outdated_documentation_examples_are_bad_payloads(name: str) -> None:
    with pytest.raises(BadPayload, match="is_bot"):
        parse_update((PAYLOADS / name).read_bytes())


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty body"),
        (b"   ", "empty body"),
        (b"{not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"message": {}}', "update_id"),
        (b'{"update_id": "7"}', "update_id"),
        (b'{"update_id": 7, "message": {"text": "hi"}}', "update 7"),
    ],
)
def test_malformed_bodies_are_bad_payloads_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(BadPayload, match=reason):
        parse_update(raw)


def test_shared_contact_without_a_plus_is_made_international() -> None:
    contact = {"phone_number": "62 812-3456-7890", "first_name": "Budi", "user_id": 42}
    update = text_update(42, "-", update_id=9)
    del update["message"]["text"]
    update["message"]["contact"] = contact

    event = event_from(update)

    assert isinstance(event, TelegramInbound)
    assert event.message.contact_phone == "+6281234567890"
