"""Score events: reading a lead's ledger back as ScoreEvents (turns write them)."""

from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from scoring import EventKind, ScoreEvent
from storage.models import score_events

_BY_LEAD: Final = select(
    score_events.c.at,
    score_events.c.rule_id,
    score_events.c.reason,
    score_events.c.points,
    score_events.c.kind,
    score_events.c.key,
).order_by(score_events.c.at, score_events.c.id)


async def list_score_events(conn: AsyncConnection, lead_id: str) -> list[ScoreEvent]:
    """The lead's ledger, oldest first."""
    rows = await conn.execute(_BY_LEAD.where(score_events.c.lead_id == lead_id))
    return [
        ScoreEvent(at, rule_id, reason, points, EventKind(kind), key)
        for at, rule_id, reason, points, kind, key in rows
    ]
