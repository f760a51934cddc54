"""WhatsApp Cloud API webhooks: signature check, payload models and the events they carry.

Pure: no I/O and no clock. `whatsapp_web.py` feeds it raw webhook bytes; send bodies are
built in `whatsapp_render.py`.

Identity. Since 2026 Meta adds a business-scoped user id (BSUID, `contacts[].user_id`,
`messages[].from_user_id`, `statuses[].recipient_user_id`) to every webhook, and users who hide
their number behind a username arrive with no `wa_id`/`from` at all. The lead key
(`InboundMessage.channel_user_id`) is therefore the BSUID when present and the `wa_id` only
when Meta sends no BSUID (doc examples, pre-2026 traffic). The phone (`wa_id`) is kept on
`WaInbound.wa_id` whenever Meta shares it, so storage can record it and, should the same person
ever appear once keyed by phone and once by BSUID, find the lead by phone. `render` addresses a
BSUID through the `recipient` field and a phone through `to`; `WhatsAppSender.learn` lets the
sender use the phone behind a BSUID whenever a webhook has shown it. SDRs are configured by
phone, so match their replies on `WaInbound.wa_id`, not on the BSUID-based key.
"""

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Final

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from bot.errors import BadPayload, ForgedRequest
from bot.inbound import MAX_ID, id_problem
from dialogs.messages import Channel, InboundMessage

# Message types that are not something the prospect said to us.
IGNORED_TYPES: Final = frozenset({"reaction", "system", "request_welcome"})
MEDIA_TYPES: Final = frozenset({"image", "video", "document", "audio", "sticker"})


def verify_signature(raw_body: bytes, header: str | None, app_secret: str) -> None:
    """Raise ForgedRequest unless X-Hub-Signature-256 is the HMAC of the raw body."""
    expected = "sha256=" + hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest()
    # compare_digest on bytes: a non-ASCII header would make the str form raise TypeError.
    if header is None or not hmac.compare_digest(header.encode(), expected.encode()):
        raise ForgedRequest("whatsapp: X-Hub-Signature-256 does not match the body")


# --- webhook models ------------------------------------------------------------------------


class _Part(BaseModel):
    """A nested object whose unknown fields we do not need."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class _Kept(BaseModel):
    """An object whose unknown fields are kept (new message types, new value keys)."""

    model_config = ConfigDict(extra="allow", frozen=True)


class WaProfile(_Part):
    name: str | None = None
    username: str | None = None


class WaContact(_Part):
    """value.contacts[]: every field is optional (status contacts carry only wa_id)."""

    profile: WaProfile | None = None
    wa_id: str | None = None
    user_id: str | None = None


class WaMetadata(_Part):
    display_phone_number: str | None = None
    phone_number_id: str | None = None


class WaText(_Part):
    body: str = ""


class WaReply(_Part):
    id: str
    title: str = ""


class WaInteractive(_Part):
    type: str
    button_reply: WaReply | None = None
    list_reply: WaReply | None = None


class WaButton(_Part):
    """A template quick-reply press; `payload` is what we put in the template."""

    payload: str | None = None
    text: str = ""


class WaMedia(_Part):
    id: str | None = None
    caption: str | None = None


class WaSharedPhone(_Part):
    phone: str | None = None
    wa_id: str | None = None


class WaSharedContact(_Part):
    phones: tuple[WaSharedPhone, ...] = ()


class WaContext(_Part):
    id: str | None = None


class WaError(_Part):
    code: int
    title: str = ""


def _unix_time(value: object) -> int | None:
    """Meta's timestamp (a string of seconds); None when it is no usable time at all, so one
    odd message does not refuse the whole webhook (Meta would resend it for days)."""
    try:
        seconds = int(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return seconds if 0 <= seconds < 2**40 else None


Timestamp = Annotated[int | None, BeforeValidator(_unix_time)]


class WaMessage(_Kept):
    """One entry of value.messages; unknown types are kept, not rejected."""

    id: str
    from_: str | None = Field(default=None, alias="from")
    from_user_id: str | None = None
    timestamp: Timestamp = None  # arrives as a string of seconds
    type: str
    text: WaText | None = None
    interactive: WaInteractive | None = None
    button: WaButton | None = None
    contacts: tuple[WaSharedContact, ...] = ()
    image: WaMedia | None = None
    video: WaMedia | None = None
    document: WaMedia | None = None
    context: WaContext | None = None


class WaStatus(_Kept):
    id: str
    status: str  # sent | delivered | read | failed | played | whatever comes next
    timestamp: Timestamp = None
    recipient_id: str | None = None
    recipient_user_id: str | None = None
    errors: tuple[WaError, ...] = ()


class WaValue(_Kept):
    metadata: WaMetadata | None = None
    contacts: tuple[WaContact, ...] = ()
    messages: tuple[WaMessage, ...] = ()
    statuses: tuple[WaStatus, ...] = ()


class WaChange(_Part):
    field: str
    value: WaValue


class WaEntry(_Part):
    id: str | None = None
    changes: tuple[WaChange, ...] = ()


class WaEnvelope(_Part):
    object: str
    entry: tuple[WaEntry, ...]


def parse_envelope(raw_body: bytes) -> WaEnvelope:
    """Bytes to the envelope model in one pass; BadPayload says which field is wrong."""
    try:
        return WaEnvelope.model_validate_json(raw_body)
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise BadPayload(
            f"whatsapp webhook: {where}: {first['msg']} ({e.error_count()} problem(s))"
        ) from e


# --- events --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaInbound:
    """A prospect's message, with the WhatsApp identity details the engine does not need."""

    message: InboundMessage  # channel_user_id = BSUID if present, else wa_id
    wa_id: str | None  # the phone-based WhatsApp id, when Meta shares it
    user_id: str | None  # the BSUID, when present
    username: str | None
    phone_number_id: str | None  # which of our numbers received it
    reply_to: str | None  # wamid of our message this answers (buttons, quotes)


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """What happened to one of our outbound messages; may arrive out of order or twice."""

    wamid: str
    status: str
    at: datetime
    recipient_id: str | None  # phone-based id
    recipient_user_id: str | None  # BSUID
    phone_number_id: str | None
    error_code: int | None = None
    error_title: str | None = None

    @property
    def channel_user_id(self) -> str | None:
        """The lead key, chosen the same way as for inbound messages."""
        return self.recipient_user_id or self.recipient_id


@dataclass(frozen=True, slots=True)
class IgnoredEvent:
    """Something acknowledged but not acted on; `reason` is for logs and tests."""

    reason: str
    wamid: str | None = None


WaEvent = WaInbound | StatusEvent | IgnoredEvent


def to_events(envelope: WaEnvelope) -> list[WaEvent]:
    """Every message and status of every entry and change, in the order Meta sent them."""
    if envelope.object != "whatsapp_business_account":
        return [IgnoredEvent(f"object {envelope.object!r}")]
    events: list[WaEvent] = []
    for entry in envelope.entry:
        for change in entry.changes:
            if change.field != "messages":
                events.append(IgnoredEvent(f"field {change.field!r}"))
                continue
            value = change.value
            number = value.metadata.phone_number_id if value.metadata else None
            events.extend(_message_event(m, value.contacts, number) for m in value.messages)
            events.extend(_status_event(s, value.contacts, number) for s in value.statuses)
    return events


def _at(timestamp: int | None) -> datetime:
    """The time of a Unix timestamp; a missing or impossible one (1e20) reads as the
    earliest time, which the pipeline's `believable` replaces by the arrival time."""
    if timestamp is None:
        return datetime.min.replace(tzinfo=UTC)
    try:
        return datetime.fromtimestamp(timestamp, tz=UTC)
    except (ValueError, OverflowError, OSError):  # past year 9999, or before 1970 on some OSes
        return datetime.min.replace(tzinfo=UTC)


def _contact_for(
    contacts: Sequence[WaContact], wa_id: str | None, user_id: str | None
) -> WaContact | None:
    for contact in contacts:
        if (wa_id and contact.wa_id == wa_id) or (user_id and contact.user_id == user_id):
            return contact
    # A one-to-one webhook has one contact even when the message omits both ids.
    return contacts[0] if len(contacts) == 1 and not (wa_id or user_id) else None


def _message_event(msg: WaMessage, contacts: Sequence[WaContact], number: str | None) -> WaEvent:
    contact = _contact_for(contacts, msg.from_, msg.from_user_id)
    wa_id = msg.from_ or (contact.wa_id if contact else None)
    user_id = msg.from_user_id or (contact.user_id if contact else None)
    key = user_id or wa_id
    if not key:
        # Never let a missing id collapse different people onto one lead.
        return IgnoredEvent("message without a sender id", msg.id)
    problem = id_problem("sender id", key) or id_problem("message id", msg.id)
    if problem is not None:
        return IgnoredEvent(problem, msg.id[:MAX_ID])
    if msg.type in IGNORED_TYPES:
        return IgnoredEvent(f"{msg.type} message", msg.id)
    profile = contact.profile if contact else None
    text, choice_id, unsupported, contact_phone = _content(msg, wa_id)
    inbound = InboundMessage(
        channel=Channel.WHATSAPP,
        channel_user_id=key,
        message_id=msg.id,
        sent_at=_at(msg.timestamp),
        text=text,
        choice_id=choice_id,
        unsupported=unsupported,
        contact_phone=contact_phone,
        profile_name=profile.name if profile else None,
    )
    return WaInbound(
        message=inbound,
        wa_id=wa_id,
        user_id=user_id,
        username=profile.username if profile else None,
        phone_number_id=number,
        reply_to=msg.context.id if msg.context else None,
    )


def _content(
    msg: WaMessage, sender_wa_id: str | None
) -> tuple[str, str | None, str | None, str | None]:
    """(text, choice_id, unsupported, contact_phone) of one message."""
    if msg.type == "text":
        return (msg.text.body if msg.text else ""), None, None, None
    if msg.type == "interactive" and msg.interactive:
        reply = msg.interactive.button_reply or msg.interactive.list_reply
        if reply is None:  # e.g. nfm_reply from WhatsApp Flows, which we never send
            return "", None, msg.interactive.type, None
        return reply.title, reply.id, None, None
    if msg.type == "button" and msg.button:
        return msg.button.text, msg.button.payload, None, None
    if msg.type == "contacts":
        phone = _shared_phone(msg.contacts, sender_wa_id)
        return ("", None, None, phone) if phone else ("", None, "contacts", None)
    media = msg.image or msg.video or msg.document
    caption = media.caption if media and media.caption else ""
    # Media, location, `unsupported` and types we have never seen: the engine answers
    # politely; a caption is kept because it may be the answer.
    return caption, None, msg.type, None


def _shared_phone(cards: Sequence[WaSharedContact], sender_wa_id: str | None) -> str | None:
    """The phone of a shared vCard, preferring the sender's own card over a colleague's."""
    phones = [p for card in cards for p in card.phones if p.phone]
    own = [p for p in phones if sender_wa_id and p.wa_id == sender_wa_id]
    chosen = own or phones
    return chosen[0].phone if chosen else None


def _status_event(
    status: WaStatus, contacts: Sequence[WaContact], number: str | None
) -> StatusEvent:
    contact = _contact_for(contacts, status.recipient_id, status.recipient_user_id)
    error = status.errors[0] if status.errors else None
    return StatusEvent(
        wamid=status.id,
        status=status.status,
        at=_at(status.timestamp),
        recipient_id=status.recipient_id or (contact.wa_id if contact else None),
        recipient_user_id=status.recipient_user_id or (contact.user_id if contact else None),
        phone_number_id=number,
        error_code=error.code if error else None,
        error_title=error.title if error else None,
    )
