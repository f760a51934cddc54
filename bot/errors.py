"""Errors of the application layer; bot/web.py maps them to HTTP responses in one place."""

from dialogs.messages import DeliveryError


class BotError(Exception):
    """Base for application failures."""


class ForgedRequest(BotError):
    """A webhook failed its authenticity check (signature or secret token)."""

    def __init__(self, message: str, *, status: int = 401) -> None:
        super().__init__(message)
        self.status = status  # Telegram's convention for a wrong secret token is 403


class BadPayload(BotError):
    """A request body could not be parsed or validated; the message says what was wrong."""


class ChannelError(DeliveryError):
    """A platform refused or failed a send (Telegram, WhatsApp)."""
