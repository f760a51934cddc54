"""The group-commit write path: all writes of many turns, one executemany per table.

The pipeline's single writer task writes every turn queued since its last commit in one
transaction, and resolves each turn's future after the commit: on SQLite the writer thread
runs `plan_turns` in one hop (storage/sqlite_writer.py), elsewhere `write_turns` runs it on
the transaction's AsyncConnection. The statements are compiled to SQL text once per dialect
and executed at the driver level on plain tuples, their values bound the way the column types
would (storage/raw.py): building statements per call, or SQLAlchemy's per-value bind
processing, costs more CPU than SQLite itself (PERF.md section 3).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Dialect,
    and_,
    bindparam,
    case,
    literal_column,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

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
from storage.raw import (
    Binds,
    Json,
    Many,
    ManyRowInsert,
    Plan,
    Row,
    When,
    binds_for,
    compile_sql,
    executor,
    json_serializer,
    run_plan,
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
    "plan_turns",
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
    withdrawn: bool = False  # the prospect opted out: the handoff is withdrawn


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


# Columns each statement sets, in table order: what the old dict parameters held. Columns
# left out (error_code, decided_by, delivery, ...) stay NULL; ids of the ledgers are rowids.
_MESSAGE: Final = (
    "id",
    "lead_id",
    "seq",
    "direction",
    "channel",
    "channel_message_id",
    "text",
    "choice_id",
    "choices",
    "status",
    "created_at",
    "status_at",
)
_LEAD: Final = (
    "id",
    "channel",
    "channel_user_id",
    "name",
    "phone",
    "email",
    "company",
    "language",
    "stage",
    "score",
    "band",
    "source",
    "opted_out",
    "unreachable",
    "created_at",
    "updated_at",
    "last_activity_at",
)
_CONVERSATION: Final = (
    "lead_id",
    "flow_id",
    "flow_version",
    "status",
    "current_question",
    "state",
    "updated_at",
)
_SCORE_EVENT: Final = ("lead_id", "at", "rule_id", "reason", "points", "kind", "key")
_STAGE_CHANGE: Final = ("lead_id", "from_stage", "to_stage", "at", "reason")
_HANDOFF: Final = ("id", "lead_id", "created_at", "summary", "sdr_id", "status", "due_at")
_OUTBOX: Final = (
    "dedup_key",
    "kind",
    "channel",
    "target",
    "payload",
    "handoff_id",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
)


@dataclass(frozen=True, slots=True)
class _Statements:
    """The write path's SQL for one dialect, and how its values are bound there."""

    binds: Binds
    inbound: ManyRowInsert
    outbound: str
    lead: str
    conversation: str
    score_event: str
    stage_change: str
    handoff: ManyRowInsert
    outbox: str
    refresh: str
    release: str
    withdraw: str


def _literal(value: str) -> ColumnElement[str]:
    # Constants inline, so the driver-level statements bind only the rows' values.
    return literal_column(f"'{value}'")


def _one_of(column: ColumnElement[str], values: tuple[str, ...]) -> ColumnElement[bool]:
    # Inline literals: an expanding IN (a bound list) cannot be used with executemany.
    return column.in_([_literal(value) for value in values])


def _compile(dialect: Dialect) -> _Statements:
    name = dialect.name
    inbound = insert_for(name, messages)
    lead = insert_for(name, leads)
    keep_sales_stage = and_(
        _one_of(leads.c.stage, SALES_STAGES),
        _one_of(lead.excluded.stage, QUALIFICATION_STAGES),
    )
    conversation = insert_for(name, conversations)
    handoff = insert_for(name, handoffs)
    box = insert_for(name, outbox)
    return _Statements(
        binds=binds_for(dialect),
        # The dedup check itself: a row comes back only for deliveries not seen before.
        inbound=ManyRowInsert(
            dialect,
            inbound.on_conflict_do_nothing(
                index_elements=["lead_id", "direction", "channel_message_id"]
            ).returning(messages.c.id),
            _MESSAGE,
        ),
        outbound=compile_sql(dialect, messages.insert(), _MESSAGE),
        lead=compile_sql(
            dialect,
            lead.on_conflict_do_update(
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
            _LEAD,
        ),
        conversation=compile_sql(
            dialect,
            conversation.on_conflict_do_update(
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
            _CONVERSATION,
        ),
        score_event=compile_sql(dialect, score_events.insert(), _SCORE_EVENT),
        stage_change=compile_sql(dialect, stage_changes.insert(), _STAGE_CHANGE),
        handoff=ManyRowInsert(
            dialect,
            handoff.on_conflict_do_nothing(index_elements=["lead_id"]).returning(handoffs.c.id),
            _HANDOFF,
        ),
        outbox=compile_sql(
            dialect, box.on_conflict_do_nothing(index_elements=["dedup_key"]), _OUTBOX
        ),
        refresh=compile_sql(
            dialect,
            update(handoffs)
            .where(
                handoffs.c.lead_id == bindparam("b_lead"), handoffs.c.status == _literal("open")
            )
            .values(summary=bindparam("b_summary")),
            ("b_summary", "b_lead"),
        ),
        withdraw=compile_sql(
            dialect,
            update(handoffs)
            .where(
                handoffs.c.lead_id == bindparam("b_lead"),
                _one_of(handoffs.c.status, ("open", "accepted")),
            )
            .values(status=_literal("withdrawn")),
            ("b_lead",),
        ),
        release=compile_sql(
            dialect,
            update(outbox)
            .where(
                outbox.c.kind == _literal("handoff.route"),
                outbox.c.status == _literal("pending"),
                # `=` a scalar subquery (a lead has at most one handoff), not IN: with IN,
                # SQLite walks every pending row through the status index instead
                outbox.c.handoff_id
                == select(handoffs.c.id)
                .where(handoffs.c.lead_id == bindparam("b_lead"))
                .scalar_subquery(),
            )
            .values(next_attempt_at=bindparam("b_at")),
            ("b_at", "b_lead"),
        ),
    )


_COMPILED: dict[tuple[str, str, object], _Statements] = {}


def _statements(dialect: Dialect) -> _Statements:
    # Once per kind of engine, not per engine: tests and tools build many of them.
    key = (dialect.name, dialect.driver, json_serializer(dialect))
    found = _COMPILED.get(key)
    if found is None:
        found = _COMPILED[key] = _compile(dialect)
    return found


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


def _message(row: MessageRow, when: When, json: Json) -> Row:
    created_at = when(row.created_at)
    return (
        row.id,
        row.lead_id,
        row.seq,
        row.direction,
        row.channel,
        row.channel_message_id,
        row.text,
        row.choice_id,
        json(row.choices),
        row.status,
        created_at,
        created_at,  # status_at
    )


def _lead(row: LeadRow, when: When) -> Row:
    # A turn is the lead's latest change; LeadRow has no separate updated_at.
    last_activity_at = when(row.last_activity_at)
    return (
        row.id,
        row.channel,
        row.channel_user_id,
        row.name,
        row.phone,
        row.email,
        row.company,
        row.language,
        row.stage,
        row.score,
        row.band,
        row.source,
        row.opted_out,
        row.unreachable,
        when(row.created_at),
        last_activity_at,  # updated_at
        last_activity_at,
    )


def _conversation(row: ConversationRow, when: When) -> Row:
    return (
        row.lead_id,
        row.flow_id,
        row.flow_version,
        row.status,
        row.current_question,
        row.state_json,
        when(row.updated_at),
    )


def _outbox(row: OutboxRow, when: When, json: Json) -> Row:
    return (
        row.dedup_key,
        row.kind,
        row.channel,
        row.target,
        json(row.payload),
        row.handoff_id,
        "pending",
        0,
        when(row.next_attempt_at),
        when(row.created_at),
    )


async def write_turns(conn: AsyncConnection, turns: Sequence[TurnWrite]) -> set[int]:
    """Write many turns in the caller's transaction (see `plan_turns`); the duplicates."""
    if not turns:
        return set()
    return await run_plan(plan_turns(conn.dialect, turns), await executor(conn))


def plan_turns(dialect: Dialect, turns: Sequence[TurnWrite]) -> Plan[set[int]]:
    """The writes of many turns, one executemany per table, as a plan (storage/raw.py).

    Returns the indexes of turns whose inbound message was already stored (duplicates), whose
    other writes are skipped. Within one batch the first turn carrying a delivery wins. Each
    lead and conversation is written once, from the last of its turns in the batch; a stage
    set by sales (accepted, rejected, won, lost) is kept against a qualification stage.
    """
    statements = _statements(dialect)
    when, json = statements.binds.when, statements.binds.json

    inbound = [_message(turn.inbound, when, json) for turn in turns if turn.inbound is not None]
    duplicates: set[int] = set()
    if inbound:
        stored = set((yield from statements.inbound.returning(inbound)))
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
    yield Many(statements.lead, [_lead(row, when) for row in last_lead.values()])
    yield Many(
        statements.conversation,
        [_conversation(row, when) for row in last_conversation.values()],
    )
    yield Many(
        statements.outbound,
        [_message(row, when, json) for turn in kept for row in turn.outbound],
    )
    yield Many(
        statements.score_event,
        [
            (turn.lead.id, when(e.at), e.rule_id, e.reason, e.points, e.kind.value, e.key)
            for turn in kept
            for e in turn.score_events
        ],
    )
    yield Many(
        statements.stage_change,
        [
            (c.lead_id, c.from_stage, c.to_stage, when(c.at), c.reason)
            for c in (turn.stage_change for turn in kept)
            if c is not None
        ],
    )

    new_handoffs = [turn.handoff for turn in kept if turn.handoff is not None]
    refused: set[str] = set()
    if new_handoffs:
        rows = [
            (
                h.id,
                h.lead_id,
                when(h.created_at),
                json(h.summary),
                h.sdr_id,
                "open",
                when(h.due_at),
            )
            for h in new_handoffs
        ]
        created = set((yield from statements.handoff.returning(rows)))
        # The lead already had a handoff: its notifications were enqueued with that one.
        refused = {h.id for h in new_handoffs if h.id not in created}
    yield Many(
        statements.outbox,
        [
            _outbox(row, when, json)
            for turn in kept
            for row in turn.outbox
            if row.handoff_id is None or row.handoff_id not in refused
        ],
    )
    refreshes = [turn.refresh for turn in kept if turn.refresh is not None]
    if refreshes:
        yield Many(statements.refresh, [(json(r.summary), r.lead_id) for r in refreshes])
        yield Many(
            statements.release,
            [(when(r.release_at), r.lead_id) for r in refreshes if r.release_at],
        )
        yield Many(statements.withdraw, [(r.lead_id,) for r in refreshes if r.withdrawn])
    return duplicates
