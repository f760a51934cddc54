"""Notifiers: how a handoff reaches an SDR. Channel notifiers wrap a Sender (a port)."""

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from dialogs import Choice, OutboundMessage, Sender
from handoff.summary import format_summary

DECISION_PREFIX = "ho"  # callback/button ids: ho:<decision>:<handoff id>
DECISIONS = ("accept", "reject", "won", "lost", "handback")  # handback: end a takeover


def decision_choice(decision: str, handoff_id: str, label: str) -> Choice:
    return Choice(f"{DECISION_PREFIX}:{decision}:{handoff_id}", label)


def parse_decision(choice_id: str) -> tuple[str, str] | None:
    """`ho:accept:<id>` -> ("accept", id); anything else -> None."""
    parts = choice_id.split(":")
    if len(parts) == 3 and parts[0] == DECISION_PREFIX and parts[1] in DECISIONS:
        return parts[1], parts[2]
    return None


def handoff_message(handoff_id: str, summary: dict[str, Any]) -> OutboundMessage:
    """The SDR's notification: the whole summary with Accept / Reject buttons."""
    return OutboundMessage(
        text=format_summary(summary),
        choices=(
            decision_choice("accept", handoff_id, "✅ Accept"),
            decision_choice("reject", handoff_id, "❌ Reject"),
        ),
    )


def outcome_message(text: str, handoff_id: str) -> OutboundMessage:
    """After Accept: the summary with the decision, and Won / Lost for later."""
    return OutboundMessage(
        text=text,
        choices=(
            decision_choice("won", handoff_id, "🏆 Won"),
            decision_choice("lost", handoff_id, "Lost"),
        ),
    )


def withdrawn_message(summary: dict[str, Any]) -> OutboundMessage:
    """Tell the SDR the prospect opted out after the handoff: no call, no message."""
    contact = summary.get("contact") or {}
    who = contact.get("name") or "The prospect"
    company = f" ({contact['company']})" if contact.get("company") else ""
    return OutboundMessage(
        f"⛔ {who}{company} opted out after the handoff. Do not contact them; "
        "the handoff is withdrawn."
    )


class Notifier(Protocol):
    """Delivers one handoff to one target (a chat id, a phone number)."""

    async def notify(self, target: str, handoff_id: str, summary: dict[str, Any]) -> str:
        """Send; return the platform message id. Raises DeliveryError."""
        ...

    async def update(
        self, target: str, message_id: str | None, handoff_id: str, summary: dict[str, Any]
    ) -> bool:
        """The notice with what is known now: edited in place (True), or sent once more as a
        follow-up where a platform cannot edit (False). Raises DeliveryError."""
        ...

    async def withdraw(self, target: str, summary: dict[str, Any]) -> None:
        """Tell the target the prospect opted out. Raises DeliveryError."""
        ...


Edit = Callable[[str, str, OutboundMessage], Awaitable[None]]


class ChannelNotifier:
    """A handoff as one chat message with decision buttons, through a channel's Sender;
    `edit` (target, message id, message) updates it in place where the platform can."""

    def __init__(self, sender: Sender, *, edit: Edit | None = None) -> None:
        self._sender = sender
        self._edit = edit

    async def notify(self, target: str, handoff_id: str, summary: dict[str, Any]) -> str:
        return await self._sender.send(target, handoff_message(handoff_id, summary))

    async def update(
        self, target: str, message_id: str | None, handoff_id: str, summary: dict[str, Any]
    ) -> bool:
        message = handoff_message(handoff_id, summary)
        if self._edit is not None and message_id:
            await self._edit(target, message_id, message)
            return True
        await self._sender.send(target, message)
        return False

    async def withdraw(self, target: str, summary: dict[str, Any]) -> None:
        await self._sender.send(target, withdrawn_message(summary))
