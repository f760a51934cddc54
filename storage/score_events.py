"""Score events: reading a lead's ledger back as ScoreEvents (turns write them)."""

from typing import Final

from sqlalchemy import Dialect, bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection

from scoring import EventKind, ScoreEvent
from storage.models import score_events
from storage.raw import Plan, Query, Row, RowReader, compile_sql

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
    result = await conn.execute(_BY_LEAD, {"lead_id": lead_id})
    return [_event(tuple(row)) for row in result]


_BY_LEAD_DRIVER: dict[str, tuple[str, RowReader]] = {}


def plan_score_events(dialect: Dialect, lead_id: str) -> Plan[list[ScoreEvent]]:
    """list_score_events as a plan of driver-level SQL (for the SQLite writer thread)."""
    found = _BY_LEAD_DRIVER.get(dialect.name)
    if found is None:
        sql = compile_sql(dialect, _BY_LEAD, ("lead_id",))
        found = _BY_LEAD_DRIVER[dialect.name] = (
            sql,
            RowReader(dialect, list(_BY_LEAD.selected_columns)),
        )
    sql, read = found
    rows: list[Row] = yield Query(sql, (lead_id,))
    return [_event(read(row)) for row in rows]


def _event(row: Row) -> ScoreEvent:
    at, rule_id, reason, points, kind, key = row
    return ScoreEvent(at, rule_id, reason, points, EventKind(kind), key)
