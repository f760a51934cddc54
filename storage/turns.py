"""One unit of work per message: lock the lead, read its conversation, decide, write it all.

`run_turn(conn, request)` runs inside the caller's transaction, on a plain SQLAlchemy Core
connection:

1. The lead row is created if the prospect is new (a unique key and ON CONFLICT, so two
   workers meeting a new prospect at once make one lead) and locked (`FOR UPDATE` on
   PostgreSQL; on SQLite the one writer already holds the database).
2. A delivery already stored is a duplicate: it is answered with the replies stored for it,
   whichever worker stored them; nothing else happens.
3. The conversation is read with its version; the lead's ledger too, unless the caller holds
   this very version in memory (`TurnRequest.version`).
4. `request.decide(loaded)` (the pure engine, in bot/) returns what to write.
5. Messages, lead, conversation (version + 1), ledger, stage change, handoff, outbox rows:
   written before the transaction commits. Nobody is answered before that.

The function is synchronous: storage/writer.py runs it in a writer thread on a SQLite file
(many turns per transaction) and through `AsyncConnection.run_sync` on PostgreSQL.
"""

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from functools import cache
from typing import Any, Final, Generic, TypeVar

from sqlalchemy import (
    ColumnElement,
    Connection,
    Executable,
    Update,
    bindparam,
    case,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from scoring import EventKind, ScoreEvent
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
    "Loaded",
    "MessageRow",
    "OutboxRow",
    "StageChangeRow",
    "Takeover",
    "TurnDone",
    "TurnRequest",
    "TurnWrite",
    "outbox_params",
    "run_turn",
    "write_many",
    "write_turn",
    "write_turns",
]

# Decisions sales made on a lead; a later conversation turn must not undo them.
SALES_STAGES: Final = ("accepted", "rejected", "won", "lost")
QUALIFICATION_STAGES: Final = ("lead", "nurture", "mql", "sql")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class HandoffRefresh:
    """A later turn of a lead with an open handoff: the summary now knows more.

    `release_at` makes the handoff's routing due at that time (the conversation has ended,
    so there is nothing left to wait for); `withdrawn`: the prospect opted out.
    """

    lead_id: str
    summary: dict[str, Any]
    release_at: datetime | None = None
    withdrawn: bool = False


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
class Loaded:
    """What a turn starts from, read under the lead's lock."""

    lead: LeadRow
    new: bool  # the lead was created by this unit of work
    conversation: ConversationRow | None
    next_seq: int  # the lead's next message sequence number
    # the ledger; None when the caller's cached conversation is the stored version
    score_events: tuple[ScoreEvent, ...] | None
    # an SDR talks to this prospect through the bot: the handoff, and where the SDR reads
    # ("telegram", chat id) or ("whatsapp", number); the bot stays silent meanwhile
    takeover: "Takeover | None" = None


@dataclass(frozen=True, slots=True)
class Takeover:
    """The handoff an SDR has taken over, and the SDR's chat."""

    handoff_id: str
    sdr_id: int | None
    channel: str
    address: str


@dataclass(frozen=True, slots=True)
class TurnRequest(Generic[T]):
    """One message (or signal) for one prospect: `decide` gets what is stored and returns
    what to write (None: nothing) plus anything for the caller."""

    channel: str
    channel_user_id: str
    message_id: str | None  # the delivery's id; None for a signal (no inbound message)
    new_lead: LeadRow  # the lead to create when the prospect is new
    decide: Callable[[Loaded], tuple[TurnWrite | None, T]]
    version: int | None = None  # the conversation version the caller holds in memory
    create: bool = True  # False: an unknown prospect stays unknown (signals)


@dataclass(frozen=True, slots=True)
class TurnDone(Generic[T]):
    """What a unit of work did: the decision (None for a duplicate) and the replies already
    stored for a duplicate delivery."""

    lead: LeadRow
    duplicate: bool
    decided: T | None
    written: TurnWrite | None
    replies: tuple[MessageRow, ...] = ()


_LEAD_COLUMNS: Final = tuple(leads.c[f.name] for f in fields(LeadRow))
_FIELD_TO_COLUMN: Final = {"state_json": "state"}
_CONVERSATION_COLUMNS: Final = tuple(
    conversations.c[_FIELD_TO_COLUMN.get(f.name, f.name)] for f in fields(ConversationRow)
)
_MESSAGE_COLUMNS: Final = tuple(messages.c[f.name] for f in fields(MessageRow))
_CONV: Final = fields(ConversationRow)
_LEAD_FIELDS: Final = fields(LeadRow)
_MESSAGE_FIELDS: Final = fields(MessageRow)
# Statements are built once with bound parameters: building one per call (and its cache key)
# costs more CPU than SQLite spends running it.
_LEAD_WIDTH: Final = len(_LEAD_COLUMNS)
_CONVERSATION_WIDTH: Final = len(_CONVERSATION_COLUMNS)
# One read under the lock: the lead, its conversation, the next sequence number and where the
# delivery was stored if it was (a duplicate).
_FIND_LEAD: Final = (
    select(
        *_LEAD_COLUMNS,
        *_CONVERSATION_COLUMNS,
        select(func.coalesce(func.max(messages.c.seq), 0) + 1)
        .where(messages.c.lead_id == leads.c.id)
        .scalar_subquery(),
        select(messages.c.seq)
        .where(
            messages.c.lead_id == leads.c.id,
            messages.c.direction == "in",
            messages.c.channel_message_id == bindparam("message_id"),
        )
        .scalar_subquery(),
        *(
            select(column)
            .where(handoffs.c.lead_id == leads.c.id, handoffs.c.takeover.is_(True))
            .scalar_subquery()
            for column in (handoffs.c.id, handoffs.c.sdr_id, handoffs.c.takeover_by)
        ),
    )
    .select_from(leads.outerjoin(conversations, conversations.c.lead_id == leads.c.id))
    .where(leads.c.channel == bindparam("channel"), leads.c.channel_user_id == bindparam("user"))
)
# The lead row is the lock (PostgreSQL; on SQLite the one writer holds the database). Taken
# in a statement of its own, before _FIND_LEAD: a statement that waited for a row lock reads
# that row as the holder committed it but everything else (the conversation, the next
# sequence number) as of its own start, so it would decide on what the holder replaced.
_LOCK: Final = (
    select(leads.c.id)
    .where(leads.c.channel == bindparam("channel"), leads.c.channel_user_id == bindparam("user"))
    .with_for_update()
)
_LEDGER: Final = (
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
_LATER: Final = (
    select(*_MESSAGE_COLUMNS)
    .where(messages.c.lead_id == bindparam("lead_id"), messages.c.seq > bindparam("seq"))
    .order_by(messages.c.seq)
    .limit(20)
)
_SUMMARY: Final = (
    update(handoffs)
    .where(handoffs.c.lead_id == bindparam("b_lead"), handoffs.c.status == "open")
    .values(summary=bindparam("b_summary"))
)
_WITHDRAW: Final = (
    update(handoffs)
    .where(
        handoffs.c.lead_id == bindparam("b_lead"),
        handoffs.c.status.in_(("open", "accepted")),
    )
    .values(status="withdrawn")
)


@dataclass(frozen=True, slots=True)
class _Upserts:
    """The ON CONFLICT statements of one dialect."""

    new_lead: Executable
    lead: Executable
    conversation: Executable
    inbound: Executable
    handoff: Executable
    outbox: Executable


def _one_of(column: ColumnElement[str], values: tuple[str, ...]) -> ColumnElement[bool]:
    # constants written into the SQL: an expanding IN cannot be used with executemany
    return column.in_([literal_column(f"'{value}'") for value in values])


@cache
def _upserts(dialect: str) -> _Upserts:
    lead = insert_for(dialect, leads)
    # a stage sales set (accepted ... lost) stays against a qualification stage
    keep_sales_stage = _one_of(leads.c.stage, SALES_STAGES) & _one_of(
        lead.excluded.stage, QUALIFICATION_STAGES
    )
    conversation = insert_for(dialect, conversations)
    return _Upserts(
        new_lead=lead.on_conflict_do_nothing(
            index_elements=["channel", "channel_user_id"]
        ).returning(leads.c.id),
        lead=lead.on_conflict_do_update(
            index_elements=["id"],
            set_={
                **{
                    name: lead.excluded[name]
                    for name in (
                        "name",
                        "phone",
                        "email",
                        "company",
                        "language",
                        "score",
                        "band",
                        "source",
                        "opted_out",
                        "unreachable",
                        "updated_at",
                        "last_activity_at",
                    )
                },
                "stage": case((keep_sales_stage, leads.c.stage), else_=lead.excluded.stage),
            },
        ),
        conversation=conversation.on_conflict_do_update(
            index_elements=["lead_id"],
            set_={
                name: conversation.excluded[name]
                for name in (
                    "flow_id",
                    "flow_version",
                    "status",
                    "current_question",
                    "state",
                    "updated_at",
                    "version",
                )
            },
        ),
        inbound=insert_for(dialect, messages)
        .on_conflict_do_nothing(index_elements=["lead_id", "direction", "channel_message_id"])
        .returning(messages.c.id),
        handoff=insert_for(dialect, handoffs)
        .on_conflict_do_nothing(index_elements=["lead_id"])
        .returning(handoffs.c.id),
        outbox=insert_for(dialect, outbox).on_conflict_do_nothing(index_elements=["dedup_key"]),
    )


def run_turn(
    conn: Connection, request: TurnRequest[T], *, defer: list[TurnWrite] | None = None
) -> TurnDone[T]:
    """One message's unit of work in the caller's transaction (see the module docstring).

    `defer`: append the writes there instead, for `write_many` before the commit (the
    SQLite writer shares one transaction among many prospects' turns)."""
    found = _lock_lead(conn, request)
    if found is None:
        return TurnDone(request.new_lead, duplicate=False, decided=None, written=None)
    lead, conversation, next_seq, stored_at, takeover = found
    if stored_at is not None:
        replies = _replies_after(conn, lead.id, stored_at)
        return TurnDone(lead, duplicate=True, decided=None, written=None, replies=replies)
    cached = conversation is not None and conversation.version == request.version
    loaded = Loaded(
        lead=lead,
        new=lead is request.new_lead,  # created by this unit of work
        conversation=conversation,
        next_seq=next_seq,
        score_events=None if cached or conversation is None else _ledger(conn, lead.id),
        takeover=takeover,
    )
    turn, decided = request.decide(loaded)
    if turn is None:
        return TurnDone(lead, duplicate=False, decided=decided, written=None)
    version = conversation.version + 1 if conversation is not None else 1
    turn = _versioned(turn, version)
    if defer is not None:
        defer.append(turn)  # checked new under the lock: written with the others
        return TurnDone(lead, duplicate=False, decided=decided, written=turn)
    if not write_turn(conn, turn):
        # stored meanwhile: the lock makes this unreachable, the unique key makes it safe
        return TurnDone(lead, duplicate=True, decided=None, written=None)
    return TurnDone(lead, duplicate=False, decided=decided, written=turn)


def _versioned(turn: TurnWrite, version: int) -> TurnWrite:
    conversation = turn.conversation
    fresh = ConversationRow(
        lead_id=conversation.lead_id,
        flow_id=conversation.flow_id,
        flow_version=conversation.flow_version,
        status=conversation.status,
        current_question=conversation.current_question,
        state_json=conversation.state_json,
        updated_at=conversation.updated_at,
        version=version,
    )
    return TurnWrite(
        lead=turn.lead,
        conversation=fresh,
        inbound=turn.inbound,
        outbound=turn.outbound,
        score_events=turn.score_events,
        stage_change=turn.stage_change,
        handoff=turn.handoff,
        outbox=turn.outbox,
        refresh=turn.refresh,
    )


_Found = tuple[LeadRow, ConversationRow | None, int, int | None, Takeover | None]
_TAKEOVER_WIDTH: Final = 3


def _lock_lead(conn: Connection, request: TurnRequest[Any]) -> _Found | None:
    """The prospect's lead (created when new), locked until the transaction ends, with its
    conversation, next sequence number and the delivery's sequence number if it was stored.
    None: new and not to be created."""
    key = {
        "channel": request.channel,
        "user": request.channel_user_id,
        "message_id": request.message_id,
    }
    locking = conn.dialect.name == "postgresql"
    known = conn.execute(_LOCK, key).first() is not None if locking else True
    row = conn.execute(_FIND_LEAD, key).first() if known else None
    if row is None:
        if not request.create:
            return None
        new = request.new_lead
        created = conn.execute(_upserts(conn.dialect.name).new_lead, _lead_values(new)).first()
        if created is not None:
            return new, None, 1, None, None
        # another worker created it a moment ago: wait for its lock like everyone else
        if locking:
            conn.execute(_LOCK, key).one()
        row = conn.execute(_FIND_LEAD, key).one()
    values = tuple(row)
    conversation = values[_LEAD_WIDTH : _LEAD_WIDTH + _CONVERSATION_WIDTH]
    handoff_id, sdr_id, by = values[-_TAKEOVER_WIDTH:]
    takeover = None
    if handoff_id is not None and by:
        channel, _, address = str(by).partition(":")
        takeover = Takeover(handoff_id, sdr_id, channel, address)
    return (
        LeadRow(*values[:_LEAD_WIDTH]),
        None if conversation[0] is None else ConversationRow(*conversation),
        int(values[-2 - _TAKEOVER_WIDTH]),
        values[-1 - _TAKEOVER_WIDTH],
        takeover,
    )


def _replies_after(conn: Connection, lead_id: str, seq: int) -> tuple[MessageRow, ...]:
    """What was answered to the delivery stored at `seq` (up to the next inbound message)."""
    replies: list[MessageRow] = []
    for row in conn.execute(_LATER, {"lead_id": lead_id, "seq": seq}):
        message = MessageRow(*row)
        if message.direction == "in":
            break
        replies.append(message)
    return tuple(replies)


def _ledger(conn: Connection, lead_id: str) -> tuple[ScoreEvent, ...]:
    return tuple(
        ScoreEvent(at, rule_id, reason, points, EventKind(kind), key)
        for at, rule_id, reason, points, kind, key in conn.execute(_LEDGER, {"lead_id": lead_id})
    )


def write_turn(conn: Connection, turn: TurnWrite) -> bool:
    """Write one turn in the caller's transaction; False when its inbound message was
    already stored (then nothing else is written)."""
    upserts = _upserts(conn.dialect.name)
    inbound = turn.inbound
    if (
        inbound is not None
        and conn.execute(upserts.inbound, _message_values(inbound)).first() is None
    ):
        return False
    if turn.outbound:
        conn.execute(messages.insert(), [_message_values(m) for m in turn.outbound])
    conn.execute(upserts.lead, _lead_values(turn.lead))
    conversation = turn.conversation
    conn.execute(
        upserts.conversation,
        {_FIELD_TO_COLUMN.get(f.name, f.name): getattr(conversation, f.name) for f in _CONV},
    )
    if turn.score_events:
        conn.execute(
            score_events.insert(), [_event_values(turn.lead.id, e) for e in turn.score_events]
        )
    if turn.stage_change is not None:
        conn.execute(stage_changes.insert(), asdict(turn.stage_change))
    refused: str | None = None
    if turn.handoff is not None:
        h = turn.handoff
        created = conn.execute(upserts.handoff, {**asdict(h), "status": "open"}).first()
        # the lead had a handoff already: its notifications went out with that one
        refused = None if created is not None else h.id
    rows = [outbox_params(r) for r in turn.outbox if refused is None or r.handoff_id != refused]
    if rows:
        conn.execute(upserts.outbox, rows)
    if turn.refresh is not None:
        _refresh(conn, turn.refresh)
    return True


def _refresh(conn: Connection, refresh: HandoffRefresh) -> None:
    conn.execute(_SUMMARY, {"b_lead": refresh.lead_id, "b_summary": refresh.summary})
    if refresh.release_at is not None:
        conn.execute(release_routing(refresh.lead_id, refresh.release_at))
    if refresh.withdrawn:
        conn.execute(_WITHDRAW, {"b_lead": refresh.lead_id})


def release_routing(lead_id: str, at: datetime) -> Update:
    """Make the lead's pending handoff routing due at `at` (the conversation has ended)."""
    # `=` a scalar subquery (a lead has at most one handoff), not IN: with IN, SQLite walks
    # every pending row through the status index instead of the handoff's own index
    handoff_id = select(handoffs.c.id).where(handoffs.c.lead_id == lead_id).scalar_subquery()
    return (
        update(outbox)
        .where(
            outbox.c.kind == "handoff.route",
            outbox.c.status == "pending",
            outbox.c.handoff_id == handoff_id,
        )
        .values(next_attempt_at=at)
    )


def _lead_values(row: LeadRow) -> dict[str, Any]:
    values = {f.name: getattr(row, f.name) for f in _LEAD_FIELDS}
    values["updated_at"] = row.last_activity_at  # a turn is the lead's latest change
    return values


def _message_values(row: MessageRow) -> dict[str, Any]:
    values = {f.name: getattr(row, f.name) for f in _MESSAGE_FIELDS}
    values["status_at"] = row.created_at
    return values


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


def write_many(conn: Connection, turns: Sequence[TurnWrite]) -> None:
    """Write turns whose deliveries are known to be new, one executemany per table (a
    prospect's turns in order: the last one's lead and conversation rows win)."""
    if not turns:
        return
    upserts = _upserts(conn.dialect.name)
    rows = [
        _message_values(m)
        for t in turns
        for m in ((t.inbound,) if t.inbound is not None else ()) + t.outbound
    ]
    if rows:
        conn.execute(messages.insert(), rows)
    last_leads = {t.lead.id: t.lead for t in turns}
    conn.execute(upserts.lead, [_lead_values(lead) for lead in last_leads.values()])
    last_conversations = {t.conversation.lead_id: t.conversation for t in turns}
    conn.execute(
        upserts.conversation,
        [
            {_FIELD_TO_COLUMN.get(f.name, f.name): getattr(c, f.name) for f in _CONV}
            for c in last_conversations.values()
        ],
    )
    events = [_event_values(t.lead.id, e) for t in turns for e in t.score_events]
    if events:
        conn.execute(score_events.insert(), events)
    changes = [asdict(t.stage_change) for t in turns if t.stage_change is not None]
    if changes:
        conn.execute(stage_changes.insert(), changes)
    refused: set[str] = set()
    for turn in turns:
        h = turn.handoff
        if (
            h is not None
            and conn.execute(upserts.handoff, {**asdict(h), "status": "open"}).first() is None
        ):
            refused.add(h.id)  # the lead had one: its notifications went out with it
    boxed = [outbox_params(r) for t in turns for r in t.outbox if r.handoff_id not in refused]
    if boxed:
        conn.execute(upserts.outbox, boxed)
    for turn in turns:
        if turn.refresh is not None:
            _refresh(conn, turn.refresh)


def _event_values(lead_id: str, event: ScoreEvent) -> dict[str, Any]:
    return {
        "lead_id": lead_id,
        "at": event.at,
        "rule_id": event.rule_id,
        "reason": event.reason,
        "points": event.points,
        "kind": event.kind.value,
        "key": event.key,
    }


async def write_turns(conn: AsyncConnection, turns: Sequence[TurnWrite]) -> set[int]:
    """Write turns in the caller's transaction (tools and tests); the indexes of those whose
    inbound message was already stored."""

    def write(sync: Connection) -> set[int]:
        return {n for n, turn in enumerate(turns) if not write_turn(sync, turn)}

    return await conn.run_sync(write)
