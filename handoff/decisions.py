"""SDR decisions on a handoff (accept, reject, won, lost), from any channel or the admin."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from dialogs import OutboundMessage
from handoff.crm import CrmEvents, handoff_data
from handoff.notifiers import handoff_message, outcome_message
from handoff.summary import format_summary
from storage import outbox as outbox_store
from storage.database import Database, Transaction
from storage.handoff_events import record_event
from storage.handoffs import Decision, Handoff, decide_handoff, get_handoff, set_holder
from storage.sdr_prompts import set_prompt
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
    refused: str | None = None  # why nothing changed, when the SDR should be told


def decided_text(handoff: Handoff, by: str, at: datetime, status: str) -> str:
    """The summary with a line saying who decided and when."""
    when = at.strftime("%d %b %H:%M UTC")
    line = f"{_MARK[status]} {status.capitalize()} by {by}, {when}"
    return f"{format_summary(handoff.summary)}\n\n{line}"


async def record_decision(
    conn: Transaction,
    handoff_id: str,
    status: Decision,
    *,
    by: str,
    at: datetime,
    crm: CrmEvents | None = None,
    sdr_id: int | None = None,
    reason_from: tuple[str, str] | None = None,
    reason: str | None = None,
) -> bool | str:
    """The decision with everything it causes, in the caller's transaction: the handoff and
    the lead's stage, the handoff's event, its CRM event, and for a rejection the stored
    prompt for the reason (`reason_from`: the chat it will come from). True if it changed
    the handoff; "not_yours" when another SDR holds it now (a reassigned notice)."""
    current = await get_handoff(conn, handoff_id)
    if current is None:
        return False
    elsewhere = sdr_id is not None and current.sdr_id not in (None, sdr_id)
    if elsewhere and status != "accepted":
        return "not_yours"  # only the SDR who holds it may reject it or close it
    if not await decide_handoff(conn, handoff_id, status, by=by, at=at, reason=reason):
        return False
    if status == "accepted" and sdr_id is not None and current.sdr_id != sdr_id:
        # accepted from an SDR's chat that does not hold it (a notice from before a
        # reassignment, no routing yet): the first to accept gets the lead
        await set_holder(conn, handoff_id, sdr_id)
    await record_event(conn, handoff_id, status, at=at, sdr_id=sdr_id, detail={"by": by})
    if crm is not None:
        data = handoff_data(handoff_id, current.lead_id, by=by, sdr_id=sdr_id)
        await outbox_store.enqueue(conn, crm.rows(f"handoff.{status}", data, now=at))
    if status == "rejected" and reason_from is not None:
        await set_prompt(conn, *reason_from, "reason", handoff_id, at)
    return True


async def decide(
    db: Database,
    writer: Writer,
    forget_lead: Callable[[str], None],
    *,
    handoff_id: str,
    action: str,
    by: str,
    at: datetime,
    crm: CrmEvents | None = None,
    sdr_id: int | None = None,
    reason_from: tuple[str, str] | None = None,
) -> DecisionResult:
    """Record `action` (accept/reject/won/lost) on the handoff and build the edited message."""
    status: Decision = VERB[action]  # type: ignore[assignment]
    outcome = await writer.run(
        lambda conn: record_decision(
            conn,
            handoff_id,
            status,
            by=by,
            at=at,
            crm=crm,
            sdr_id=sdr_id,
            reason_from=reason_from,
        )
    )
    changed = outcome is True
    async with db.connection() as conn:
        handoff = await get_handoff(conn, handoff_id)
    if handoff is None:
        return DecisionResult(False, None, None)
    if outcome == "not_yours":
        return DecisionResult(
            False, handoff, None, refused="This handoff went to another SDR; it is theirs now."
        )
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
