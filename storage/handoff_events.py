"""Handoff events: every step of a handoff's life (assigned, reminded, reassigned, decided,
relayed), one row each; a time-driven step carries a key that makes it happen once."""

from dataclasses import dataclass, fields
from datetime import datetime
from functools import cache
from typing import Any, Final

from sqlalchemy import Executable, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import handoff_events
from storage.statements import insert_for


@dataclass(frozen=True, slots=True)
class HandoffEvent:
    """One step, as stored."""

    id: int
    handoff_id: str
    key: str | None
    kind: str
    at: datetime
    sdr_id: int | None
    detail: dict[str, Any] | None


_COLUMNS: Final = tuple(handoff_events.c[field.name] for field in fields(HandoffEvent))


@cache
def _insert(dialect: str) -> Executable:
    return (
        insert_for(dialect, handoff_events)
        .on_conflict_do_nothing(index_elements=["handoff_id", "key"])
        .returning(handoff_events.c.id)
    )


async def record_event(
    conn: AsyncConnection,
    handoff_id: str,
    kind: str,
    *,
    at: datetime,
    sdr_id: int | None = None,
    key: str | None = None,
    detail: dict[str, Any] | None = None,
) -> bool:
    """Record one step; False when a step with this key was recorded already (by this or
    any other worker: the unique key decides, and a concurrent one waits for the first)."""
    values = {
        "handoff_id": handoff_id,
        "key": key,
        "kind": kind,
        "at": at,
        "sdr_id": sdr_id,
        "detail": detail,
    }
    return (await conn.execute(_insert(conn.dialect.name), values)).first() is not None


async def list_events(conn: AsyncConnection, handoff_id: str) -> list[HandoffEvent]:
    """A handoff's steps in the order they happened."""
    query = (
        select(*_COLUMNS)
        .where(handoff_events.c.handoff_id == handoff_id)
        .order_by(handoff_events.c.id)
    )
    return [HandoffEvent(*row) for row in await conn.execute(query)]


async def list_all_events(conn: AsyncConnection) -> list[HandoffEvent]:
    """Every handoff's steps (for the KPIs), in order."""
    query = select(*_COLUMNS).order_by(handoff_events.c.id)
    return [HandoffEvent(*row) for row in await conn.execute(query)]
