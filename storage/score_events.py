"""Score events: reading a lead's ledger back as ScoreEvents (turns write them)."""

from typing import Final

from sqlalchemy import Dialect, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from scoring import EventKind, ScoreEvent
from storage.models import score_events
from storage.raw import DriverSelect, Plan, executor, run_plan

_BY_LEAD: Final = (
    select(
        score_events.c.at,
        score_events.c.rule_id,
        score_events.c.reason,
        score_events.c.points,
        score_events.c.kind,
        score_events.c.key,
    )
    .where(score_events.c.lead_id == bindparam("lead_id"))
    .order_by(score_events.c.at, score_events.c.id)
)


async def list_score_events(conn: AsyncConnection, lead_id: str) -> list[ScoreEvent]:
    """The lead's ledger, oldest first."""
    return await run_plan(plan_score_events(conn.dialect, lead_id), await executor(conn))


_BY_LEAD_ROWS: Final = DriverSelect(_BY_LEAD, ("lead_id",))


def plan_score_events(dialect: Dialect, lead_id: str) -> Plan[list[ScoreEvent]]:
    """list_score_events as a plan of driver-level SQL (the group committer's writer runs it)."""
    rows = yield from _BY_LEAD_ROWS.rows(dialect, (lead_id,))
    return [
        ScoreEvent(at, rule_id, reason, points, EventKind(kind), key)
        for at, rule_id, reason, points, kind, key in rows
    ]
