"""Channel-neutral messages: what the engine reads and what it answers, plus the Sender port."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class Channel(StrEnum):
    """Where a prospect talks to us."""

    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    WEB = "web"
    TERMINAL = "terminal"


@dataclass(frozen=True, slots=True)
class Choice:
    """One button: the option id the engine understands and the label the prospect sees."""

    id: str
    label: str


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One thing a prospect did, normalised by a channel adapter."""

    channel: Channel
    channel_user_id: str
    message_id: str  # platform id; (channel, message_id) is the dedup key
    sent_at: datetime
    text: str = ""
    choice_id: str | None = None  # set when a button was pressed
    language_hint: str | None = None  # e.g. Telegram's language_code
    unsupported: str | None = None  # e.g. "sticker": the engine answers politely
    command: str | None = None  # "start", "stop", "help", "restart" (Telegram commands)
    source: str | None = None  # where the lead came from (deep-link payload, campaign)
    contact_phone: str | None = None  # a phone number the prospect shared as a contact
    profile_name: str | None = None  # the platform's display name, a hint for the name slot


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """One reply in plain text; adapters decide how choices render on their platform."""

    text: str
    choices: tuple[Choice, ...] = ()


class DeliveryError(Exception):
    """A send failed. `retry_after` (seconds) says when to try again; None with
    `permanent` means never retry (blocked, bad token, invalid recipient). `unreachable`
    says the recipient can get nothing from us at all (blocked us, no such user), not just
    this one message."""

    def __init__(
        self,
        channel: str,
        message: str,
        *,
        retry_after: float | None = None,
        permanent: bool = False,
        code: str | None = None,
        unreachable: bool = False,
    ) -> None:
        super().__init__(f"{channel}: {message}")
        self.channel = channel
        self.retry_after = retry_after
        self.permanent = permanent
        self.code = code
        self.unreachable = unreachable


class Sender(Protocol):
    """Delivers replies to one platform; raises DeliveryError (or a subclass) on failure."""

    async def send(self, channel_user_id: str, message: OutboundMessage) -> str:
        """Send one message; return the platform's message id."""
        ...
