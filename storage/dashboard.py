"""The marketing dashboard's numbers, aggregated by the database: leads and how far they got
(lead -> MQL -> SQL -> accepted -> won), time to SQL, SLA compliance, conversion per band and
per source. Leads are chosen by when they first wrote and, optionally, by their source.

A lead "reached" a stage when it is there now or its stage history passed through it (a lead
may jump from lead straight to SQL: it counts as an MQL too).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    Float,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from storage.models import handoffs, leads, stage_changes

MQL_OR_LATER: Final = ("mql", "sql", "accepted", "rejected", "won", "lost")
SQL_OR_LATER: Final = ("sql", "accepted", "rejected", "won", "lost")
ACCEPTED_OR_LATER: Final = ("accepted", "won", "lost")
WON: Final = ("won",)
NO_SOURCE: Final = "(none)"


@dataclass(frozen=True, slots=True)
class Filters:
    """Leads first seen in [since, until), from one source (NO_SOURCE: none recorded)."""

    since: datetime | None = None
    until: datetime | None = None
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Reached:
    """How many leads got at least this far."""

    leads: int
    mql: int
    sql: int
    accepted: int
    won: int


@dataclass(frozen=True, slots=True)
class GroupRow:
    """One band or source: its leads and how many reached each stage."""

    key: str
    reached: Reached


@dataclass(frozen=True, slots=True)
class Sla:
    handoffs: int
    met: int  # decided before it was due
    missed: int  # decided late, or still open past due
    open: int  # open and not yet due


@dataclass(frozen=True, slots=True)
class Dashboard:
    reached: Reached
    time_to_sql_seconds: float | None  # mean, over leads that reached SQL
    sla: Sla
    bands: list[GroupRow]
    sources: list[GroupRow]


def lead_conditions(filters: Filters) -> list[ColumnElement[bool]]:
    """The conditions on `leads` that choose the leads `filters` describes."""
    conditions: list[ColumnElement[bool]] = []
    if filters.since is not None:
        conditions.append(leads.c.created_at >= filters.since)
    if filters.until is not None:
        conditions.append(leads.c.created_at < filters.until)
    if filters.source == NO_SOURCE:
        conditions.append(leads.c.source.is_(None))
    elif filters.source:
        conditions.append(leads.c.source == filters.source)
    return conditions


def _reached(stages: tuple[str, ...]) -> ColumnElement[int]:
    passed = exists().where(
        stage_changes.c.lead_id == leads.c.id, stage_changes.c.to_stage.in_(stages)
    )
    return func.coalesce(func.sum(case((or_(leads.c.stage.in_(stages), passed), 1), else_=0)), 0)


def _counts() -> tuple[ColumnElement[int], ...]:
    return (
        func.count(),
        _reached(MQL_OR_LATER),
        _reached(SQL_OR_LATER),
        _reached(ACCEPTED_OR_LATER),
        _reached(WON),
    )


async def dashboard(conn: AsyncConnection, filters: Filters, now: datetime) -> Dashboard:
    where = lead_conditions(filters)
    row = (await conn.execute(select(*_counts()).where(*where))).one()
    reached = Reached(*(int(v) for v in row))

    band_rows = await conn.execute(
        select(leads.c.band, *_counts()).where(*where).group_by(leads.c.band)
    )
    bands = [GroupRow(str(r[0]), Reached(*(int(v) for v in r[1:]))) for r in band_rows]
    order = {"hot": 0, "warm": 1, "cold": 2}
    bands.sort(key=lambda g: order.get(g.key, 9))

    source = func.coalesce(leads.c.source, literal(NO_SOURCE))
    source_rows = await conn.execute(
        select(source, *_counts()).where(*where).group_by(source).order_by(func.count().desc())
    )
    sources = [GroupRow(str(r[0]), Reached(*(int(v) for v in r[1:]))) for r in source_rows]

    first_sql = (
        select(stage_changes.c.lead_id, func.min(stage_changes.c.at).label("at"))
        .where(stage_changes.c.to_stage == "sql")
        .group_by(stage_changes.c.lead_id)
        .subquery()
    )
    seconds: ColumnElement[Any]
    if conn.dialect.name == "postgresql":
        seconds = func.extract("epoch", first_sql.c.at - leads.c.created_at)
    else:
        seconds = (func.julianday(first_sql.c.at) - func.julianday(leads.c.created_at)) * 86400.0
    mean = (
        await conn.execute(
            select(func.avg(cast(seconds, Float)))
            .select_from(leads.join(first_sql, first_sql.c.lead_id == leads.c.id))
            .where(*where)
        )
    ).scalar_one_or_none()

    met = and_(handoffs.c.decided_at.is_not(None), handoffs.c.decided_at <= handoffs.c.due_at)
    missed = or_(
        and_(handoffs.c.decided_at.is_not(None), handoffs.c.decided_at > handoffs.c.due_at),
        and_(handoffs.c.decided_at.is_(None), handoffs.c.due_at < now),
    )
    sla_row = (
        await conn.execute(
            select(
                func.count(distinct(handoffs.c.id)),
                func.coalesce(func.sum(case((met, 1), else_=0)), 0),
                func.coalesce(func.sum(case((missed, 1), else_=0)), 0),
            )
            .select_from(handoffs.join(leads, leads.c.id == handoffs.c.lead_id))
            .where(*where)
        )
    ).one()
    total, met_count, missed_count = (int(v) for v in sla_row)
    sla = Sla(total, met_count, missed_count, total - met_count - missed_count)
    return Dashboard(
        reached=reached,
        time_to_sql_seconds=None if mean is None else float(mean),
        sla=sla,
        bands=bands,
        sources=sources,
    )


async def sources(conn: AsyncConnection) -> list[str]:
    """Every lead source seen, for the filter (NO_SOURCE for leads without one)."""
    source = func.coalesce(leads.c.source, literal(NO_SOURCE))
    query = select(source).group_by(source).order_by(source)
    return [str(s) for s in (await conn.execute(query)).scalars()]
