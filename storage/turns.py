"""The group-commit write path: all writes of many turns, one executemany per table.

The pipeline's single writer task calls `write_turns` with every turn queued since its last
commit, inside one transaction, and resolves each turn's future after the commit. Per turn the
statements and parameters are plain dicts against statements built once per dialect: building
statements per call costs more CPU than SQLite itself (PERF.md section 3).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, bindparam, case, literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable

from scoring import ScoreEvent
from storage.models import (
    conversations,
    handoffs,
    leads,
    messages,
    outbox,
    score_events,
    stage_changes,
)
from storage.rows import (
    ConversationRow,
    HandoffRow,
    LeadRow,
    MessageRow,
    OutboxRow,
    StageChangeRow,
)
from storage.statements import insert_for

__all__ = [
    "ConversationRow",
    "HandoffRefresh",
    "HandoffRow",
    "LeadRow",
    "MessageRow",
    "OutboxRow",
    "StageChangeRow",
    "TurnWrite",
    "write_turns",
]

# Decisions sales made on a lead; a later conversation turn must not undo them.
SALES_STAGES: Final = ("accepted", "rejected", "won", "lost")
QUALIFICATION_STAGES: Final = ("lead", "nurture", "mql", "sql")


@dataclass(frozen=True, slots=True)
class HandoffRefresh:
    """A later turn of a lead with an open handoff: the summary now knows more.

    `release_at` makes the handoff's routing due at that time (the conversation has ended,
    so there is nothing left to wait for).
    """

    lead_id: str
    summary: dict[str, Any]
    release_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class TurnWrite:
    """Everything one inbound message (or one bot-initiated step) writes, all or nothing."""

    lead: LeadRow
    conversation: ConversationRow
    inbound: MessageRow | None
    outbound: tuple[MessageRow, ...]
    score_events: tuple[ScoreEvent, ...]
    stage_change: StageChangeRow | None
    handoff: HandoffRow | None
    outbox: tuple[OutboxRow, ...]
    refresh: HandoffRefresh | None = None


@dataclass(frozen=True, slots=True)
class _Statements:
    inbound: Executable
    outbound: Executable
    lead: Executable
    conversation: Executable
    score_event: Executable
    stage_change: Executable
    handoff: Executable
    outbox: Executable
    refresh: Executable
    release: Executable


def _one_of(column: ColumnElement[str], values: tuple[str, ...]) -> ColumnElement[bool]:
    # Inline literals: an expanding IN (a bound list) cannot be used with executemany.
    return column.in_([literal_column(f"'{value}'") for value in values])


@cache
def _statements(dialect: str) -> _Statements:
    inbound = insert_for(dialect, messages)
    lead = insert_for(dialect, leads)
    keep_sales_stage = and_(
        _one_of(leads.c.stage, SALES_STAGES),
        _one_of(lead.excluded.stage, QUALIFICATION_STAGES),
    )
    conversation = insert_for(dialect, conversations)
    handoff = insert_for(dialect, handoffs)
    box = insert_for(dialect, outbox)
    return _Statements(
        # The dedup check itself: a row comes back only for deliveries not seen before.
        inbound=inbound.on_conflict_do_nothing(
            index_elements=["channel", "direction", "channel_message_id"]
        ).returning(messages.c.id),
        outbound=messages.insert(),
        lead=lead.on_conflict_do_update(
            index_elements=["id"],
            set_={
                "name": lead.excluded.name,
                "phone": lead.excluded.phone,
                "email": lead.excluded.email,
                "company": lead.excluded.company,
                "language": lead.excluded.language,
                "stage": case((keep_sales_stage, leads.c.stage), else_=lead.excluded.stage),
                "score": lead.excluded.score,
                "band": lead.excluded.band,
                "source": lead.excluded.source,
                "opted_out": lead.excluded.opted_out,
                "unreachable": lead.excluded.unreachable,
                "updated_at": lead.excluded.updated_at,
                "last_activity_at": lead.excluded.last_activity_at,
            },
        ),
        conversation=conversation.on_conflict_do_update(
            index_elements=["lead_id"],
            set_={
                "flow_id": conversation.excluded.flow_id,
                "flow_version": conversation.excluded.flow_version,
                "status": conversation.excluded.status,
                "current_question": conversation.excluded.current_question,
                "state": conversation.excluded.state,
                "updated_at": conversation.excluded.updated_at,
            },
        ),
        score_event=score_events.insert(),
        stage_change=stage_changes.insert(),
        handoff=handoff.on_conflict_do_nothing(index_elements=["lead_id"]).returning(
            handoffs.c.id
        ),
        outbox=box.on_conflict_do_nothing(index_elements=["dedup_key"]),
        refresh=update(handoffs)
        .where(handoffs.c.lead_id == bindparam("b_lead"), handoffs.c.status == "open")
        .values(summary=bindparam("b_summary")),
        release=update(outbox)
        .where(
            outbox.c.kind == "handoff.route",
            outbox.c.status == "pending",
            outbox.c.handoff_id.in_(
                select(handoffs.c.id).where(handoffs.c.lead_id == bindparam("b_lead"))
            ),
        )
        .values(next_attempt_at=bindparam("b_at")),
    )


def _message(row: MessageRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "lead_id": row.lead_id,
        "seq": row.seq,
        "direction": row.direction,
        "channel": row.channel,
        "channel_message_id": row.channel_message_id,
        "text": row.text,
        "choice_id": row.choice_id,
        "choices": row.choices,
        "status": row.status,
        "created_at": row.created_at,
        "status_at": row.created_at,
    }


def _lead(row: LeadRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "channel": row.channel,
        "channel_user_id": row.channel_user_id,
        "name": row.name,
        "phone": row.phone,
        "email": row.email,
        "company": row.company,
        "language": row.language,
        "stage": row.stage,
        "score": row.score,
        "band": row.band,
        "source": row.source,
        "opted_out": row.opted_out,
        "unreachable": row.unreachable,
        "created_at": row.created_at,
        # A turn is the lead's latest change; LeadRow has no separate updated_at.
        "updated_at": row.last_activity_at,
        "last_activity_at": row.last_activity_at,
    }


def _conversation(row: ConversationRow) -> dict[str, Any]:
    return {
        "lead_id": row.lead_id,
        "flow_id": row.flow_id,
        "flow_version": row.flow_version,
        "status": row.status,
        "current_question": row.current_question,
        "state": row.state_json,
        "updated_at": row.updated_at,
    }


def _score_event(lead_id: str, event: ScoreEvent) -> dict[str, Any]:
    return {
        "lead_id": lead_id,
        "at": event.at,
        "rule_id": event.rule_id,
        "reason": event.reason,
        "points": event.points,
        "kind": event.kind.value,
        "key": event.key,
    }


def _stage_change(row: StageChangeRow) -> dict[str, Any]:
    return {
        "lead_id": row.lead_id,
        "from_stage": row.from_stage,
        "to_stage": row.to_stage,
        "at": row.at,
        "reason": row.reason,
    }


def _handoff(row: HandoffRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "lead_id": row.lead_id,
        "created_at": row.created_at,
        "summary": row.summary,
        "sdr_id": row.sdr_id,
        "status": "open",
        "due_at": row.due_at,
    }


def outbox_params(row: OutboxRow) -> dict[str, Any]:
    """Parameters of one new outbox row (shared with storage.outbox.enqueue)."""
    return {
        "dedup_key": row.dedup_key,
        "kind": row.kind,
        "channel": row.channel,
        "target": row.target,
        "payload": row.payload,
        "handoff_id": row.handoff_id,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": row.next_attempt_at,
        "created_at": row.created_at,
    }


async def write_turns(conn: AsyncConnection, turns: Sequence[TurnWrite]) -> set[int]:
    """Write many turns in the caller's transaction with one executemany per table.

    Returns the indexes of turns whose inbound message was already stored (duplicates), whose
    other writes are skipped. Within one batch the first turn carrying a delivery wins. Each
    lead and conversation is written once, from the last of its turns in the batch; a stage
    set by sales (accepted, rejected, won, lost) is kept against a qualification stage.
    """
    if not turns:
        return set()
    statements = _statements(conn.dialect.name)

    inbound = [_message(turn.inbound) for turn in turns if turn.inbound is not None]
    duplicates: set[int] = set()
    if inbound:
        stored = set((await conn.execute(statements.inbound, inbound)).scalars())
        duplicates = {
            index
            for index, turn in enumerate(turns)
            if turn.inbound is not None and turn.inbound.id not in stored
        }
    kept = [turn for index, turn in enumerate(turns) if index not in duplicates]
    if not kept:
        return duplicates

    # Later turns of the same lead carry newer state; one row per key also keeps
    # PostgreSQL's "ON CONFLICT DO UPDATE cannot affect a row twice" out of reach.
    last_lead = {turn.lead.id: turn.lead for turn in kept}
    last_conversation = {turn.conversation.lead_id: turn.conversation for turn in kept}
    await conn.execute(statements.lead, [_lead(row) for row in last_lead.values()])
    await conn.execute(
        statements.conversation, [_conversation(row) for row in last_conversation.values()]
    )

    outbound = [_message(row) for turn in kept for row in turn.outbound]
    if outbound:
        await conn.execute(statements.outbound, outbound)
    events = [_score_event(turn.lead.id, event) for turn in kept for event in turn.score_events]
    if events:
        await conn.execute(statements.score_event, events)
    changes = [_stage_change(turn.stage_change) for turn in kept if turn.stage_change]
    if changes:
        await conn.execute(statements.stage_change, changes)

    new_handoffs = [turn.handoff for turn in kept if turn.handoff is not None]
    refused: set[str] = set()
    if new_handoffs:
        created = set(
            (await conn.execute(statements.handoff, [_handoff(h) for h in new_handoffs])).scalars()
        )
        # The lead already had a handoff: its notifications were enqueued with that one.
        refused = {h.id for h in new_handoffs if h.id not in created}
    box = [
        outbox_params(row)
        for turn in kept
        for row in turn.outbox
        if row.handoff_id is None or row.handoff_id not in refused
    ]
    if box:
        await conn.execute(statements.outbox, box)
    refreshes = [turn.refresh for turn in kept if turn.refresh is not None]
    if refreshes:
        await conn.execute(
            statements.refresh, [{"b_lead": r.lead_id, "b_summary": r.summary} for r in refreshes]
        )
        releases = [{"b_lead": r.lead_id, "b_at": r.release_at} for r in refreshes if r.release_at]
        if releases:
            await conn.execute(statements.release, releases)
    return duplicates
