"""What any channel's message may carry into the pipeline: one rule for every channel.

Platforms and forgers send what they like; the database has column limits and PostgreSQL
refuses NUL characters. Telegram and Meta retry a failed webhook for hours or days, so an
input that fails once fails forever and stalls that chat. `normalised` is applied by the
pipeline to every InboundMessage, whichever channel built it:

* Free text (the message, the profile name, a deep-link source) loses its control
  characters (newlines and tabs stay) and is cut to its length.
* A choice id longer than any button of ours (or with control characters) is not one of
  ours: the press is read as its text. A shared phone or a language hint that cannot be one
  is dropped.
* Ids cannot be cut (two cut ids could collide and merge two people): an empty or over-long
  sender or message id, or one with a control character, is refused with MalformedInbound.
  Telegram and WhatsApp acknowledge such a message and ignore it; the web chat answers 400.
* A send time that cannot be true (before 2000, or a day ahead of us) becomes the arrival time.
"""

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Final

from bot.errors import BadPayload
from dialogs import InboundMessage

MAX_ID: Final = 128  # leads.channel_user_id, messages.channel_message_id
MAX_CHOICE: Final = 256  # messages.choice_id; WhatsApp's own limit for reply ids
MAX_TEXT: Final = 4096  # Telegram's and WhatsApp's own message limits
MAX_NAME: Final = 200
MAX_SOURCE: Final = 64  # a Telegram deep-link payload is at most 64 characters
MAX_PHONE: Final = 32
MAX_LANGUAGE: Final = 16
EARLIEST: Final = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW: Final = timedelta(days=1)

# NUL breaks PostgreSQL text; the other C0/C1 controls are never meant. Newlines and tabs stay.
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_PHONE: Final = re.compile(r"^\+?[0-9 ()./-]{4,31}$")


class MalformedInbound(BadPayload):
    """A message whose ids cannot be stored as they are; it is not processed."""


def id_problem(name: str, value: str | None) -> str | None:
    """Why `value` cannot be a sender or message id, or None when it can."""
    if not value or len(value) > MAX_ID or _CONTROL.search(value):
        return f"{name} must be 1-{MAX_ID} characters, none of them a control character"
    return None


def clean(text: str, limit: int) -> str:
    """`text` without control characters, at most `limit` characters."""
    return _CONTROL.sub("", text)[:limit]


def _optional(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    return clean(text, limit).strip() or None


def believable(at: datetime, received_at: datetime) -> datetime:
    """`at`, unless it cannot be a real send time: then `received_at`."""
    if at.tzinfo is None or not EARLIEST <= at <= received_at + CLOCK_SKEW:
        return received_at
    return at


def normalised(
    inbound: InboundMessage, *, received_at: datetime, max_text: int = MAX_TEXT
) -> InboundMessage:
    """The message as the pipeline may store it; MalformedInbound when its ids cannot be."""
    problem = id_problem("sender id", inbound.channel_user_id) or id_problem(
        "message id", inbound.message_id
    )
    if problem is not None:
        raise MalformedInbound(f"{inbound.channel}: {problem}")
    choice = inbound.choice_id
    if choice is not None and (not choice or len(choice) > MAX_CHOICE or _CONTROL.search(choice)):
        choice = None
    phone = inbound.contact_phone
    if phone is not None and not _PHONE.match(phone):
        phone = None
    language = inbound.language_hint
    if language is not None and len(language) > MAX_LANGUAGE:
        language = None
    return replace(
        inbound,
        sent_at=believable(inbound.sent_at, received_at),
        text=clean(inbound.text, max_text),
        choice_id=choice,
        language_hint=language,
        source=_optional(inbound.source, MAX_SOURCE),
        contact_phone=phone,
        profile_name=_optional(inbound.profile_name, MAX_NAME),
    )
