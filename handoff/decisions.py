"""SDR decisions on a handoff (accept, reject, won, lost), from any channel or the admin."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from dialogs import OutboundMessage
from handoff.notifiers import handoff_message, outcome_message
from handoff.summary import format_summary
from storage.database import Database
from storage.handoffs import Decision, Handoff, decide_handoff, get_handoff, set_reason
from storage.writer import Writer

VERB: Final[dict[str, str]] = {
    "accept": "accepted",
    "reject": "rejected",
    "won": "won",
    "lost": "lost",
}
_MARK: Final[dict[str, str]] = {"accepted": "✅", "rejected": "❌", "won": "🏆", "lost": "⚪"}


@dataclass(frozen=True, slots=True)
class DecisionResult:
    """What happened: the handoff after the decision, and the message the SDR should now see."""

    changed: bool
    handoff: Handoff | None
    message: OutboundMessage | None  # the notification, edited to show who decided and when
    wants_reason: bool = False  # a rejection: ask the SDR why


def decided_text(handoff: Handoff, by: str, at: datetime, status: str) -> str:
    """The summary with a line saying who decided and when."""
    when = at.strftime("%d %b %H:%M UTC")
    line = f"{_MARK[status]} {status.capitalize()} by {by}, {when}"
    return f"{format_summary(handoff.summary)}\n\n{line}"


async def decide(
    db: Database,
    writer: Writer,
    forget_lead: Callable[[str], None],
    *,
    handoff_id: str,
    action: str,
    by: str,
    at: datetime,
) -> DecisionResult:
    """Record `action` (accept/reject/won/lost) on the handoff and build the edited message."""
    status: Decision = VERB[action]  # type: ignore[assignment]
    changed = await writer.run(lambda conn: decide_handoff(conn, handoff_id, status, by=by, at=at))
    async with db.connection() as conn:
        handoff = await get_handoff(conn, handoff_id)
    if handoff is None:
        return DecisionResult(False, None, None)
    if changed:
        forget_lead(handoff.lead_id)  # the pipeline's cached state is stale now
    if handoff.status == "open":
        return DecisionResult(changed, handoff, handoff_message(handoff.id, handoff.summary))
    text = decided_text(
        handoff, handoff.decided_by or by, handoff.decided_at or at, handoff.status
    )
    if handoff.status == "accepted":
        return DecisionResult(changed, handoff, outcome_message(text, handoff.id))
    return DecisionResult(
        changed, handoff, OutboundMessage(text), wants_reason=changed and status == "rejected"
    )


async def record_reason(writer: Writer, handoff_id: str, reason: str) -> bool:
    """The reason an SDR typed after rejecting (or losing) a handoff."""
    return bool(await writer.run(lambda conn: set_reason(conn, handoff_id, reason)))
