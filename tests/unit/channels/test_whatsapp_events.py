"""Webhook bytes to events: every documented payload, identities, batches and bad input."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from bot.channels.whatsapp import (
    IgnoredEvent,
    StatusEvent,
    WaEvent,
    WaInbound,
    parse_envelope,
    to_events,
)
from bot.errors import BadPayload
from dialogs.messages import Channel

PAYLOADS = Path(__file__).parents[2] / "payloads" / "whatsapp"
WEBHOOKS = ("status_", "text_", "interactive_", "template_", "image_", "audio_", "location_")
WEBHOOK_FILES = sorted(
    p.name for p in PAYLOADS.glob("*.json") if p.name.startswith((*WEBHOOKS, "unsupported_"))
)
BSUID = "US.13491208655302741918"


def events_of(name: str) -> list[WaEvent]:
    return to_events(parse_envelope((PAYLOADS / name).read_bytes()))


def only_inbound(name: str) -> WaInbound:
    [event] = events_of(name)
    assert isinstance(event, WaInbound)
    return event


def only_status(name: str) -> StatusEvent:
    [event] = events_of(name)
    assert isinstance(event, StatusEvent)
    return event


def envelope(value: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
    )


def message(type_: str, **fields: Any) -> dict[str, Any]:
    return {"from": "6281234567890", "id": "wamid.X", "timestamp": "1760000000", "type": type_} | (
        fields
    )


def inbound_from(msg: dict[str, Any]) -> WaInbound:
    [event] = to_events(parse_envelope(envelope({"messages": [msg]})))
    assert isinstance(event, WaInbound)
    return event


@pytest.mark.parametrize("name", WEBHOOK_FILES)
def test_every_documented_webhook_parses_to_one_event(name: str) -> None:
    events = events_of(name)

    assert len(events) == 1
    assert not isinstance(events[0], IgnoredEvent)


def test_text_message_becomes_inbound_text_with_profile_name() -> None:
    event = only_inbound("text_message.json")

    assert event.message.channel == Channel.WHATSAPP
    assert event.message.text == "Does it come in another color?"
    assert event.message.profile_name == "Sheena Nelson"
    assert event.message.message_id.startswith("wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRB")
    assert event.message.sent_at == datetime(2025, 6, 8, 20, 59, 43, tzinfo=UTC)
    assert event.phone_number_id == "106540352242922"


def test_doc_example_without_bsuid_is_keyed_on_wa_id() -> None:
    event = only_inbound("text_message.json")

    assert event.message.channel_user_id == "16505551234"
    assert event.wa_id == "16505551234"
    assert event.user_id is None


def test_bsuid_payload_is_keyed_on_bsuid_and_keeps_the_phone() -> None:
    event = only_inbound("text_message_bsuid_2026.json")

    assert event.message.channel_user_id == BSUID
    assert event.wa_id == "972987654321"
    assert event.message.text == "Body Text"


def test_username_only_payload_is_keyed_on_bsuid_without_a_phone() -> None:
    event = only_inbound("text_message_username_only_CONSTRUCTED.json")

    assert event.message.channel_user_id == BSUID
    assert event.wa_id is None
    assert event.username == "@sheena"
    assert event.message.profile_name == "Sheena Nelson"


def test_same_person_is_one_key_with_and_without_the_phone() -> None:
    with_phone = only_inbound("text_message_bsuid_2026.json")
    username_only = only_inbound("text_message_username_only_CONSTRUCTED.json")

    assert with_phone.message.channel_user_id == username_only.message.channel_user_id


def test_message_without_any_sender_id_is_ignored_not_merged() -> None:
    msg = message("text", text={"body": "hi"})
    del msg["from"]

    [event] = to_events(parse_envelope(envelope({"messages": [msg]})))

    assert isinstance(event, IgnoredEvent)


def test_button_reply_carries_our_option_id_as_choice() -> None:
    event = only_inbound("interactive_button_reply.json")

    assert event.message.choice_id == "change-button"
    assert event.message.text == "Change"
    assert event.reply_to == "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBJBM0Y4RUU0RUNFQkFDMjYzQUMA"


def test_list_reply_carries_our_row_id_as_choice() -> None:
    event = only_inbound("interactive_list_reply.json")

    assert event.message.choice_id == "priority_express"


def test_template_quick_reply_carries_its_payload_as_choice() -> None:
    event = only_inbound("template_quick_reply_button.json")

    assert event.message.choice_id == "callback_data"
    assert event.message.text == "title"


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("image_message.json", "image"),
        ("audio_voice_message.json", "audio"),
        ("location_message.json", "location"),
        ("unsupported_message.json", "unsupported"),
    ],
)
def test_media_location_and_unsupported_are_marked_unsupported(name: str, kind: str) -> None:
    event = only_inbound(name)

    assert event.message.unsupported == kind
    assert event.message.choice_id is None


def test_image_caption_is_kept_as_text() -> None:
    event = only_inbound("image_message.json")

    assert event.message.text == "Taj Mahal"


@pytest.mark.parametrize("kind", ["video", "document", "sticker"])
def test_other_media_are_unsupported(kind: str) -> None:
    event = inbound_from(message(kind, **{kind: {"id": "1", "mime_type": "x/y"}}))

    assert event.message.unsupported == kind


def test_unknown_message_type_is_kept_and_marked_unsupported() -> None:
    event = inbound_from(message("poll_vote", poll_vote={"option": 2}))

    assert event.message.unsupported == "poll_vote"


def test_unknown_interactive_type_is_unsupported() -> None:
    event = inbound_from(message("interactive", interactive={"type": "nfm_reply"}))

    assert event.message.unsupported == "nfm_reply"


def test_unknown_fields_are_kept_on_the_model() -> None:
    raw = envelope({"messages": [message("order", order={"catalog_id": "c1"})], "new_key": 1})

    value = parse_envelope(raw).entry[0].changes[0].value

    assert value.model_extra == {"new_key": 1}
    assert value.messages[0].model_extra == {"order": {"catalog_id": "c1"}}


def test_reaction_is_ignored() -> None:
    raw = envelope(
        {"messages": [message("reaction", reaction={"message_id": "w", "emoji": "👍"})]}
    )

    [event] = to_events(parse_envelope(raw))

    assert event == IgnoredEvent("reaction message", "wamid.X")


def test_shared_contact_gives_its_phone() -> None:
    card = {"name": {"formatted_name": "Sari"}, "phones": [{"phone": "+62 812-1111-2222"}]}

    event = inbound_from(message("contacts", contacts=[card]))

    assert event.message.contact_phone == "+62 812-1111-2222"
    assert event.message.unsupported is None


def test_shared_contact_prefers_the_senders_own_card() -> None:
    boss = {"phones": [{"phone": "+62 811-0000-0000", "wa_id": "628110000000"}]}
    own = {"phones": [{"phone": "+62 812-3456-7890", "wa_id": "6281234567890"}]}

    event = inbound_from(message("contacts", contacts=[boss, own]))

    assert event.message.contact_phone == "+62 812-3456-7890"


def test_shared_contact_without_phone_is_unsupported() -> None:
    event = inbound_from(message("contacts", contacts=[{"name": {"formatted_name": "X"}}]))

    assert event.message.unsupported == "contacts"


@pytest.mark.parametrize(
    ("name", "state"),
    [
        ("status_sent.json", "sent"),
        ("status_delivered.json", "delivered"),
        ("status_read.json", "read"),
        ("status_delivered_contacts_no_profile_REAL_SHAPE.json", "delivered"),
    ],
)
def test_status_webhooks_become_status_events(name: str, state: str) -> None:
    event = only_status(name)

    assert event.status == state
    assert event.recipient_id == "16505551234"
    assert event.error_code is None


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("status_failed_131047_reengagement.json", 131047),
        ("status_failed_131049.json", 131049),
        ("status_failed_131026_contacts_waid_only_REAL_SHAPE.json", 131026),
    ],
)
def test_failed_status_carries_the_error_code(name: str, code: int) -> None:
    event = only_status(name)

    assert event.status == "failed"
    assert event.error_code == code
    assert event.error_title


def test_status_takes_the_bsuid_from_contacts() -> None:
    event = only_status("status_sent_with_contacts_bsuid_2026.json")

    assert event.recipient_user_id == BSUID
    assert event.channel_user_id == BSUID
    assert event.at == datetime.fromtimestamp(1698266945, UTC)


def test_batch_keeps_every_message_and_status_in_order() -> None:
    def value(n: int) -> dict[str, Any]:
        return {
            "messages": [
                message("text", id=f"wamid.m{n}.{i}", text={"body": str(i)}) for i in (1, 2)
            ],
            "statuses": [{"id": f"wamid.s{n}", "status": "read", "timestamp": "1760000001"}],
        }

    raw = orjson.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {"id": "1", "changes": [{"field": "messages", "value": value(1)}]},
                {
                    "id": "2",
                    "changes": [
                        {"field": "messages", "value": value(2)},
                        {"field": "messages", "value": value(3)},
                    ],
                },
            ],
        }
    )

    events = to_events(parse_envelope(raw))

    ids = [
        e.message.message_id if isinstance(e, WaInbound) else getattr(e, "wamid", "")
        for e in events
    ]
    assert ids == [
        "wamid.m1.1", "wamid.m1.2", "wamid.s1",
        "wamid.m2.1", "wamid.m2.2", "wamid.s2",
        "wamid.m3.1", "wamid.m3.2", "wamid.s3",
    ]  # fmt: skip


def test_other_webhook_fields_are_ignored() -> None:
    raw = orjson.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "account_update", "value": {"x": 1}}]}],
        }
    )

    [event] = to_events(parse_envelope(raw))

    assert event == IgnoredEvent("field 'account_update'")


def test_other_objects_are_ignored() -> None:
    [event] = to_events(parse_envelope(b'{"object": "page", "entry": []}'))

    assert isinstance(event, IgnoredEvent)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[]",
        b'{"entry": []}',
        b'{"object": "whatsapp_business_account"}',
        b'{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "x"}]}]}',
    ],
    ids=["empty", "not-json", "array", "no-object", "no-entry", "no-value"],
)  # fmt: skip
def test_malformed_webhook_is_bad_payload(raw: bytes) -> None:
    with pytest.raises(BadPayload, match="whatsapp webhook"):
        parse_envelope(raw)


@pytest.mark.parametrize("timestamp", [None, "x", 1e20, -5, "99999999999999999999"])
def test_a_message_without_a_usable_time_is_kept_undated(timestamp: object) -> None:
    message: dict[str, object] = {"from": "6281234567890", "id": "wamid.X", "type": "text"}
    if timestamp is not None:
        message["timestamp"] = timestamp
    message["text"] = {"body": "halo"}

    [event] = to_events(parse_envelope(envelope({"messages": [message]})))

    # undated: the pipeline takes the arrival time instead (bot.inbound.believable)
    assert isinstance(event, WaInbound)
    assert event.message.sent_at == datetime.min.replace(tzinfo=UTC)
