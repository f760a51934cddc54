"""WhatsApp Cloud API wire format: signature check, webhook models, events and send bodies.

Pure: no I/O and no clock. `whatsapp_web.py` feeds it raw webhook bytes and
`whatsapp_sender.py` posts what `render` builds.

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

Lengths. Meta does not say how it counts characters, so every limit here counts UTF-16 code
units: an emoji counts as 1 or 2, never as its 4 UTF-8 bytes, and whatever fits here also
fits if Meta counts code points.
"""

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import BadPayload, ForgedRequest
from dialogs.messages import Channel, Choice, InboundMessage, OutboundMessage

Body = dict[str, Any]  # one Graph API request body, serialised by the sender

# Cloud API limits (CHANNELS.md B8), in UTF-16 code units.
MAX_TEXT: Final = 4096
MAX_BUTTONS: Final = 3
MAX_BUTTON_TITLE: Final = 20
MAX_BUTTON_ID: Final = 256
MAX_BUTTON_BODY: Final = 1024
MAX_LIST_ROWS: Final = 10
MAX_ROW_ID: Final = 200
MAX_ROW_TITLE: Final = 24
MAX_ROW_DESCRIPTION: Final = 72
MAX_LIST_BUTTON: Final = 20
MAX_SECTION_TITLE: Final = 24
MAX_LIST_BODY: Final = 4096

DEFAULT_LIST_BUTTON: Final = "Pilih"  # "Choose": Indonesian is the home market
PLACEHOLDER_BODY: Final = "👇"  # body for choices whose text went out in bubbles before them
ELLIPSIS: Final = "…"
# Message types that are not something the prospect said to us.
IGNORED_TYPES: Final = frozenset({"reaction", "system", "request_welcome"})
MEDIA_TYPES: Final = frozenset({"image", "video", "document", "audio", "sticker"})
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-]*")


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


class WaMessage(_Kept):
    """One entry of value.messages; unknown types are kept, not rejected."""

    id: str
    from_: str | None = Field(default=None, alias="from")
    from_user_id: str | None = None
    timestamp: int  # arrives as a string; pydantic coerces
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
    timestamp: int
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


def _at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


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


# --- lengths -------------------------------------------------------------------------------


def wa_len(text: str) -> int:
    """Length in UTF-16 code units: characters outside the BMP (most emoji) count twice."""
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def _prefix_fitting(text: str, limit: int) -> int:
    """How many code points of `text` fit in `limit` UTF-16 units."""
    used = 0
    for i, c in enumerate(text):
        used += 2 if ord(c) > 0xFFFF else 1
        if used > limit:
            return i
    return len(text)


def _joins(before: str, after: str) -> bool:
    """Whether a cut between these two characters would break one visible character."""
    code = ord(after)
    return (
        before == "\u200d"
        or code in (0x200D, 0x20E3)  # zero-width joiner, keycap
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag sequences (subdivision flags)
        or unicodedata.combining(after) != 0
        or unicodedata.category(after) in ("Mn", "Me", "Mc")
    )


def _safe_cut(text: str, n: int) -> int:
    """Move a cut at code point `n` left until it splits no grapheme; 0 if it cannot."""
    while 0 < n < len(text) and _joins(text[n - 1], text[n]):
        n -= 1
    # Flags are pairs of regional indicators: never keep an odd one.
    run = 0
    while run < n and 0x1F1E6 <= ord(text[n - 1 - run]) <= 0x1F1FF:
        run += 1
    if run % 2 and n < len(text) and 0x1F1E6 <= ord(text[n]) <= 0x1F1FF:
        n -= 1
    return n


def one_line(text: str) -> str:
    """Collapse all whitespace, as titles and labels are single lines."""
    return " ".join(text.split())


def fit(text: str, limit: int) -> str:
    """`text` if it fits in `limit` units, else its longest clean prefix plus an ellipsis."""
    if wa_len(text) <= limit:
        return text
    hard = _prefix_fitting(text, limit - 1)
    space = text.rfind(" ", 0, hard + 1)
    # End on a whole word unless that throws away more than a third of the room.
    cut = space if space > hard * 2 // 3 else (_safe_cut(text, hard) or hard)
    return text[:cut].rstrip() + ELLIPSIS


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Non-empty chunks of at most `limit` units, cut at paragraph, line or word ends."""
    chunks: list[str] = []
    rest = text.strip()
    while wa_len(rest) > limit:
        hard = _prefix_fitting(rest, limit)
        window = rest[:hard]
        cut = 0
        for sep in ("\n\n", "\n", " "):
            at = window.rfind(sep)
            if at > hard // 2:  # a separator too early would leave tiny bubbles
                cut = at
                break
        cut = cut or _safe_cut(rest, hard) or hard
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


# --- rendering -----------------------------------------------------------------------------


def _address(to: str) -> Body:
    # A phone goes in `to`; a BSUID (e.g. "US.1349...") in `recipient`.
    field = "to" if _PHONE.fullmatch(to) else "recipient"
    return {"messaging_product": "whatsapp", "recipient_type": "individual", field: to}


def text_body(to: str, text: str) -> Body:
    """One text message; `text` must already fit MAX_TEXT."""
    return {**_address(to), "type": "text", "text": {"body": text, "preview_url": False}}


def _ids_ok(choices: Sequence[Choice], max_id: int) -> bool:
    ids = [c.id for c in choices]
    return len(set(ids)) == len(ids) and all(i.strip() and wa_len(i) <= max_id for i in ids)


def fits_buttons(choices: Sequence[Choice]) -> bool:
    """Up to 3 choices with unique ids and unique, non-empty titles of at most 20 units."""
    titles = [one_line(c.label) for c in choices]
    return (
        0 < len(choices) <= MAX_BUTTONS
        and _ids_ok(choices, MAX_BUTTON_ID)
        and all(0 < wa_len(t) <= MAX_BUTTON_TITLE for t in titles)
        and len({t.casefold() for t in titles}) == len(titles)
    )


def fits_list(choices: Sequence[Choice]) -> bool:
    """Up to 10 choices with unique ids of at most 200 units and non-empty labels."""
    return (
        0 < len(choices) <= MAX_LIST_ROWS
        and _ids_ok(choices, MAX_ROW_ID)
        and all(one_line(c.label) for c in choices)
    )


def _buttons(to: str, body: str, choices: Sequence[Choice]) -> Body:
    buttons = [
        {"type": "reply", "reply": {"id": c.id, "title": one_line(c.label)}} for c in choices
    ]
    interactive = {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}}
    return {**_address(to), "type": "interactive", "interactive": interactive}


def _row(choice: Choice) -> Body:
    label = one_line(choice.label)
    if wa_len(label) <= MAX_ROW_TITLE:
        return {"id": choice.id, "title": label}
    # The title shows the start; the description carries the whole label (or most of it).
    return {
        "id": choice.id,
        "title": fit(label, MAX_ROW_TITLE),
        "description": fit(label, MAX_ROW_DESCRIPTION),
    }


def _list(to: str, body: str, choices: Sequence[Choice], button: str) -> Body:
    label = fit(one_line(button) or DEFAULT_LIST_BUTTON, MAX_LIST_BUTTON)
    section = {"title": fit(label, MAX_SECTION_TITLE), "rows": [_row(c) for c in choices]}
    interactive = {
        "type": "list",
        "body": {"text": body},
        "action": {"button": label, "sections": [section]},
    }
    return {**_address(to), "type": "interactive", "interactive": interactive}


def _with_choices(to: str, text: str, limit: int, build: Callable[[str], Body]) -> list[Body]:
    """The choices message, preceded by text bubbles when the text is too long for its body."""
    if text and wa_len(text) <= limit:
        return [build(text)]
    head, _, tail = text.rpartition("\n\n")
    tail = tail.strip()
    if head.strip() and tail and wa_len(tail) <= limit:
        # Usually the question is the last paragraph: keep it next to the buttons.
        return [*(text_body(to, c) for c in split_text(head)), build(tail)]
    return [*(text_body(to, c) for c in split_text(text)), build(PLACEHOLDER_BODY)]


def numbered(text: str, choices: Sequence[Choice]) -> str:
    """Choices as "1. label" lines under the text; the engine accepts "2" as an answer."""
    lines = "\n".join(f"{i}. {one_line(c.label) or c.id}" for i, c in enumerate(choices, 1))
    return f"{text}\n\n{lines}" if text else lines


def render(
    message: OutboundMessage, to: str, *, list_button: str = DEFAULT_LIST_BUTTON
) -> list[Body]:
    """Graph API bodies for one reply, in sending order; never one the API would reject.

    Empty text without choices renders to no body at all.
    """
    text = message.text.strip()
    choices = message.choices
    if choices and fits_buttons(choices):
        return _with_choices(to, text, MAX_BUTTON_BODY, lambda b: _buttons(to, b, choices))
    if choices and fits_list(choices):
        return _with_choices(to, text, MAX_LIST_BODY, lambda b: _list(to, b, choices, list_button))
    if choices:
        text = numbered(text, choices)
    return [text_body(to, chunk) for chunk in split_text(text)]


def _template_param(value: str) -> str:
    # Template parameters may not hold newlines, tabs or more than 4 spaces in a row, and
    # may not be empty.
    return re.sub(r" {4,}", "   ", re.sub(r"[\n\t\r]+", " ", value)).strip() or "-"


def render_template(
    to: str,
    name: str,
    language: str,
    params: Sequence[str] = (),
    *,
    button_payloads: Sequence[str] = (),
) -> Body:
    """A template message: body parameters in order, then one payload per quick reply."""
    components: list[Body] = []
    if params:
        parameters = [{"type": "text", "text": _template_param(p)} for p in params]
        components.append({"type": "body", "parameters": parameters})
    components.extend(
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": str(i),
            "parameters": [{"type": "payload", "payload": payload}],
        }
        for i, payload in enumerate(button_payloads)
    )
    template: Body = {"name": name, "language": {"policy": "deterministic", "code": language}}
    if components:
        template["components"] = components
    return {**_address(to), "type": "template", "template": template}


def mark_read_body(wamid: str, *, typing: bool = False) -> Body:
    """Mark an inbound message (and earlier ones) read; optionally show typing for ≤25 s."""
    body: Body = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
    if typing:
        body["typing_indicator"] = {"type": "text"}
    return body
