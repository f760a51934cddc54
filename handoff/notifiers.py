"""Notifiers: how a handoff reaches an SDR. Channel notifiers wrap a Sender (a port)."""

from typing import Any, Protocol

from dialogs import Choice, OutboundMessage, Sender
from handoff.summary import format_summary

DECISION_PREFIX = "ho"  # callback/button ids: ho:<decision>:<handoff id>
DECISIONS = ("accept", "reject", "won", "lost")


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


class Notifier(Protocol):
    """Delivers one handoff to one target (a chat id, a phone number)."""

    async def notify(self, target: str, handoff_id: str, summary: dict[str, Any]) -> str:
        """Send; return the platform message id. Raises DeliveryError."""
        ...


class ChannelNotifier:
    """A handoff as one chat message with decision buttons, through a channel's Sender."""

    def __init__(self, sender: Sender) -> None:
        self._sender = sender

    async def notify(self, target: str, handoff_id: str, summary: dict[str, Any]) -> str:
        return await self._sender.send(target, handoff_message(handoff_id, summary))
