"""Handoffs: reads, the SDR's decision, assignment and delivery state (turns create them)."""

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Final, Literal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import handoffs, leads, stage_changes

Decision = Literal["accepted", "rejected", "won", "lost"]

# Accept or reject an open handoff; close an accepted one as won or lost. Anything else
# (a second click on a stale notification, a late "won" on a rejected lead) changes nothing.
ALLOWED_FROM: Final[dict[str, str]] = {
    "accepted": "open",
    "rejected": "open",
    "won": "accepted",
    "lost": "accepted",
}


@dataclass(frozen=True, slots=True)
class Handoff:
    """A stored handoff with its decision and delivery state."""

    id: str
    lead_id: str
    created_at: datetime
    summary: dict[str, Any]
    sdr_id: int | None
    status: str
    decided_by: str | None
    decided_at: datetime | None
    reject_reason: str | None
    due_at: datetime
    delivery: dict[str, Any] | None
    assigned_at: datetime | None = None
    assignment: int = 0
    accepted_at: datetime | None = None
    first_contact_at: datetime | None = None
    takeover: bool = False
    takeover_by: str | None = None  # "<channel>:<address>" of the SDR talking


@dataclass(frozen=True, slots=True)
class HandoffListItem:
    """One line of the handoff inbox."""

    id: str
    lead_id: str
    lead_name: str | None
    company: str | None
    score: int
    band: str
    status: str
    sdr_id: int | None
    created_at: datetime
    due_at: datetime
    decided_at: datetime | None


_COLUMNS: Final = tuple(handoffs.c[field.name] for field in fields(Handoff))


async def get_handoff(conn: AsyncConnection, handoff_id: str) -> Handoff | None:
    """The handoff with this id, or None."""
    row = (await conn.execute(select(*_COLUMNS).where(handoffs.c.id == handoff_id))).first()
    return None if row is None else Handoff(*row)


async def get_handoff_for_lead(conn: AsyncConnection, lead_id: str) -> Handoff | None:
    """The lead's handoff (there is at most one), or None."""
    row = (await conn.execute(select(*_COLUMNS).where(handoffs.c.lead_id == lead_id))).first()
    return None if row is None else Handoff(*row)


async def list_handoffs(
    conn: AsyncConnection, *, status: str | None = None, limit: int = 50, offset: int = 0
) -> list[HandoffListItem]:
    """Handoffs with their lead's name, company and score, newest first."""
    query = select(
        handoffs.c.id,
        handoffs.c.lead_id,
        leads.c.name,
        leads.c.company,
        leads.c.score,
        leads.c.band,
        handoffs.c.status,
        handoffs.c.sdr_id,
        handoffs.c.created_at,
        handoffs.c.due_at,
        handoffs.c.decided_at,
    ).join_from(handoffs, leads, handoffs.c.lead_id == leads.c.id)
    if status is not None:
        query = query.where(handoffs.c.status == status)
    query = query.order_by(handoffs.c.created_at.desc(), handoffs.c.id).limit(limit).offset(offset)
    return [HandoffListItem(*row) for row in await conn.execute(query)]


async def decide_handoff(
    conn: AsyncConnection,
    handoff_id: str,
    decision: Decision,
    *,
    by: str,
    at: datetime,
    reason: str | None = None,
) -> bool:
    """Record an SDR's decision; True if it changed the handoff (see ALLOWED_FROM).

    The lead moves to the stage of the same name, with a stage-history row. `reason` is kept
    in reject_reason (a rejection's reason, or why a deal was lost).
    """
    changed = (
        await conn.execute(
            update(handoffs)
            .where(handoffs.c.id == handoff_id, handoffs.c.status == ALLOWED_FROM[decision])
            .values(
                status=decision,
                decided_by=by,
                decided_at=at,
                reject_reason=reason if reason is not None else handoffs.c.reject_reason,
                accepted_at=at if decision == "accepted" else handoffs.c.accepted_at,
            )
            .returning(handoffs.c.lead_id)
        )
    ).scalar_one_or_none()
    if changed is None:
        return False
    from_stage = (
        await conn.execute(select(leads.c.stage).where(leads.c.id == changed))
    ).scalar_one()
    await conn.execute(
        update(leads).where(leads.c.id == changed).values(stage=decision, updated_at=at)
    )
    await conn.execute(
        stage_changes.insert().values(
            lead_id=changed,
            from_stage=from_stage,
            to_stage=decision,
            at=at,
            reason=f"handoff {decision} by {by}",
        )
    )
    return True


async def assign_sdr(
    conn: AsyncConnection, handoff_id: str, sdr_id: int, *, at: datetime | None = None
) -> bool:
    """Give an open handoff to an SDR (from `at`, when the SLA clock starts; the assignment
    number goes up by one); False if it is not open or does not exist."""
    values: dict[str, Any] = {"sdr_id": sdr_id, "assignment": handoffs.c.assignment + 1}
    if at is not None:
        values["assigned_at"] = at
    result = await conn.execute(
        update(handoffs)
        .where(handoffs.c.id == handoff_id, handoffs.c.status == "open")
        .values(values)
    )
    return result.rowcount > 0


async def lock_handoff(conn: AsyncConnection, handoff_id: str) -> Handoff | None:
    """The handoff, locked until the transaction ends (PostgreSQL), or None."""
    query = select(*_COLUMNS).where(handoffs.c.id == handoff_id).with_for_update()
    row = (await conn.execute(query)).first()
    return None if row is None else Handoff(*row)


async def sla_watch(conn: AsyncConnection) -> list[Handoff]:
    """Handoffs with an SLA clock running: open ones with an SDR, accepted ones nobody has
    contacted yet, oldest first."""
    query = (
        select(*_COLUMNS)
        .where(
            ((handoffs.c.status == "open") & handoffs.c.assigned_at.is_not(None))
            | (
                (handoffs.c.status == "accepted")
                & handoffs.c.accepted_at.is_not(None)
                & handoffs.c.first_contact_at.is_(None)
            )
        )
        .order_by(handoffs.c.created_at, handoffs.c.id)
    )
    return [Handoff(*row) for row in await conn.execute(query)]


async def set_takeover(
    conn: AsyncConnection, handoff_id: str, on: bool, at: datetime, *, by: str | None = None
) -> bool:
    """The SDR takes the conversation over (True; `by` is "<channel>:<address>" of their chat)
    or hands it back to the bot (False); the first time an SDR writes counts as their first
    contact."""
    values: dict[str, Any] = {"takeover": on}
    if by is not None:
        values["takeover_by"] = by
    if on:
        values["first_contact_at"] = func.coalesce(handoffs.c.first_contact_at, at)
    result = await conn.execute(
        update(handoffs)
        .where(handoffs.c.id == handoff_id, handoffs.c.status.in_(("accepted", "won", "lost")))
        .values(values)
    )
    return result.rowcount > 0


async def taken_over_by(conn: AsyncConnection, sdr_id: int) -> list[Handoff]:
    """The handoffs an SDR talks through the bot now, the most recently accepted first."""
    query = (
        select(*_COLUMNS)
        .where(handoffs.c.sdr_id == sdr_id, handoffs.c.takeover.is_(True))
        .order_by(handoffs.c.accepted_at.desc(), handoffs.c.id)
    )
    return [Handoff(*row) for row in await conn.execute(query)]


async def set_delivery(conn: AsyncConnection, handoff_id: str, delivery: dict[str, Any]) -> bool:
    """Replace the per-notifier delivery state (the outbox worker owns its shape)."""
    result = await conn.execute(
        update(handoffs).where(handoffs.c.id == handoff_id).values(delivery=delivery)
    )
    return result.rowcount > 0


async def set_reason(conn: AsyncConnection, handoff_id: str, reason: str) -> bool:
    """Record why a handoff was rejected or lost, after the decision (the SDR types it next)."""
    result = await conn.execute(
        update(handoffs)
        .where(handoffs.c.id == handoff_id, handoffs.c.status.in_(("rejected", "lost")))
        .values(reject_reason=reason[:500])
    )
    return result.rowcount > 0


async def latest_accepted(conn: AsyncConnection, sdr_id: int) -> Handoff | None:
    """The SDR's most recently accepted handoff still accepted, or None (`/reply` goes there
    when no conversation is taken over)."""
    query = (
        select(*_COLUMNS)
        .where(handoffs.c.sdr_id == sdr_id, handoffs.c.status == "accepted")
        .order_by(handoffs.c.accepted_at.desc(), handoffs.c.id)
        .limit(1)
    )
    row = (await conn.execute(query)).first()
    return None if row is None else Handoff(*row)


async def set_holder(conn: AsyncConnection, handoff_id: str, sdr_id: int) -> None:
    """The SDR who holds the handoff now (the first to accept a reassigned one)."""
    await conn.execute(update(handoffs).where(handoffs.c.id == handoff_id).values(sdr_id=sdr_id))
