"""Conversations: loading a lead with its state for a turn, and reading one back."""

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from scoring import ScoreEvent
from storage.leads import LEAD_COLUMNS
from storage.models import conversations, leads, messages
from storage.rows import ConversationRow, LeadRow
from storage.score_events import list_score_events


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
    select(func.coalesce(func.max(messages.c.seq), 0) + 1)
    .where(messages.c.lead_id == leads.c.id)
    .scalar_subquery()
)
_LOAD: Final = select(*LEAD_COLUMNS, *_CONVERSATION_COLUMNS, _NEXT_SEQ).select_from(
    leads.outerjoin(conversations, conversations.c.lead_id == leads.c.id)
)
_GET: Final = select(*_CONVERSATION_COLUMNS)


async def load_conversation(
    conn: AsyncConnection, channel: str, channel_user_id: str
) -> LoadedConversation | None:
    """The lead behind a channel user with its conversation and ledger, or None for a new
    prospect (reports and tools; a turn reads it under a lock in storage.turns)."""
    row = (
        await conn.execute(
            _LOAD.where(leads.c.channel == channel, leads.c.channel_user_id == channel_user_id)
        )
    ).first()
    if row is None:
        return None
    values = tuple(row)
    lead = LeadRow(*values[:_LEAD_WIDTH])
    stored = values[_LEAD_WIDTH : _LEAD_WIDTH + _CONVERSATION_WIDTH]
    conversation = None if stored[0] is None else ConversationRow(*stored)
    events = await list_score_events(conn, lead.id)
    return LoadedConversation(lead, conversation, int(values[-1]), tuple(events))


async def find_conversation(
    conn: AsyncConnection, channel: str, channel_user_id: str
) -> ConversationRow | None:
    """The conversation of a channel user, or None."""
    row = (
        await conn.execute(
            _GET.join_from(conversations, leads, conversations.c.lead_id == leads.c.id).where(
                leads.c.channel == channel, leads.c.channel_user_id == channel_user_id
            )
        )
    ).first()
    return None if row is None else ConversationRow(*row)


async def get_conversation(conn: AsyncConnection, lead_id: str) -> ConversationRow | None:
    """The lead's conversation, or None."""
    row = (await conn.execute(_GET.where(conversations.c.lead_id == lead_id))).first()
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
