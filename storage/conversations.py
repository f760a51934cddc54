"""Conversations: loading a lead with its state for a turn, and reading one back."""

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Final

from sqlalchemy import Dialect, bindparam, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncConnection

from scoring import ScoreEvent
from storage.leads import LEAD_COLUMNS
from storage.models import conversations, leads, messages
from storage.raw import DriverSelect, Plan, executor, run_plan
from storage.rows import ConversationRow, LeadRow
from storage.score_events import plan_score_events


@dataclass(frozen=True, slots=True)
class LoadedConversation:
    """What a turn starts from: the lead, its conversation (None if it has none), the next
    message sequence number and the lead's score ledger (the state's JSON does not hold it)."""

    lead: LeadRow
    conversation: ConversationRow | None
    next_seq: int
    score_events: tuple[ScoreEvent, ...] = ()


_FIELD_TO_COLUMN: Final = {"state_json": "state"}
_CONVERSATION_COLUMNS: Final = tuple(
    conversations.c[_FIELD_TO_COLUMN.get(field.name, field.name)]
    for field in fields(ConversationRow)
)
_LEAD_WIDTH: Final = len(LEAD_COLUMNS)
_CONVERSATION_WIDTH: Final = len(_CONVERSATION_COLUMNS)

_NEXT_SEQ: Final = (
    # literal constants: the driver-level query (plan_load) binds only channel and user
    select(func.coalesce(func.max(messages.c.seq), literal_column("0")) + literal_column("1"))
    .where(messages.c.lead_id == leads.c.id)
    .scalar_subquery()
)
# One round trip per turn: lead, state and next seq. Built once (PERF.md: construction costs).
_LOAD: Final = (
    select(*LEAD_COLUMNS, *_CONVERSATION_COLUMNS, _NEXT_SEQ)
    .select_from(leads.outerjoin(conversations, conversations.c.lead_id == leads.c.id))
    .where(
        leads.c.channel == bindparam("channel"),
        leads.c.channel_user_id == bindparam("channel_user_id"),
    )
)
# PostgreSQL with several workers: hold the lead row until the caller's transaction ends.
# (The nullable side of an outer join cannot be locked, so the lead row is.)
_LOAD_LOCKED: Final = _LOAD.with_for_update(of=leads)
_GET: Final = select(*_CONVERSATION_COLUMNS).where(conversations.c.lead_id == bindparam("lead_id"))


async def load_conversation(
    conn: AsyncConnection, channel: str, channel_user_id: str, *, lock: bool = False
) -> LoadedConversation | None:
    """The lead behind a channel user with its conversation, or None for a new prospect.

    `lock=True` takes a row lock on the lead on PostgreSQL (no-op on SQLite, where the single
    writer and the per-lead asyncio lock already serialise turns).
    """
    plan = plan_load(conn.dialect, channel, channel_user_id, lock=lock)
    return await run_plan(plan, await executor(conn))


_LOAD_ROWS: Final = DriverSelect(_LOAD, ("channel", "channel_user_id"))
_LOAD_LOCKED_ROWS: Final = DriverSelect(_LOAD_LOCKED, ("channel", "channel_user_id"))


def plan_load(
    dialect: Dialect, channel: str, channel_user_id: str, *, lock: bool = False
) -> Plan[LoadedConversation | None]:
    """load_conversation as a plan of driver-level SQL (the group committer's writer runs it)."""
    query = _LOAD_LOCKED_ROWS if lock else _LOAD_ROWS
    rows = yield from query.rows(dialect, (channel, channel_user_id))
    if not rows:
        return None
    loaded = _loaded(rows[0])
    events = yield from plan_score_events(dialect, loaded.lead.id)
    return replace(loaded, score_events=tuple(events))


def _loaded(values: tuple[object, ...]) -> LoadedConversation:
    lead = LeadRow(*values[:_LEAD_WIDTH])  # type: ignore[arg-type]
    conversation_values = values[_LEAD_WIDTH : _LEAD_WIDTH + _CONVERSATION_WIDTH]
    conversation = (
        None if conversation_values[0] is None else ConversationRow(*conversation_values)  # type: ignore[arg-type]
    )
    return LoadedConversation(lead, conversation, int(values[-1]))  # type: ignore[call-overload]


async def get_conversation(conn: AsyncConnection, lead_id: str) -> ConversationRow | None:
    """The lead's conversation, or None."""
    row = (await conn.execute(_GET, {"lead_id": lead_id})).first()
    return None if row is None else ConversationRow(*row)


async def silent_conversations(
    conn: AsyncConnection, before: datetime, limit: int = 500
) -> list[tuple[str, str]]:
    """(channel, channel user id) of conversations still waiting for an answer since `before`,
    oldest first: the prospect went silent."""
    query = (
        select(leads.c.channel, leads.c.channel_user_id)
        .join_from(conversations, leads, conversations.c.lead_id == leads.c.id)
        .where(
            conversations.c.status == "active",
            conversations.c.updated_at < before,
            leads.c.unreachable.is_(False),
        )
        .order_by(conversations.c.updated_at)
        .limit(limit)
    )
    return [(row[0], row[1]) for row in await conn.execute(query)]
