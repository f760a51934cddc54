"""The message pipeline: per-lead order -> one unit of work (lock, read, step, write) -> replies.

Correctness lives in the database: each message is one unit of work (storage/turns.py) that
locks the lead's row, reads its conversation, steps the pure engine and writes everything
before the commit, so any number of workers give what one gives. Memory only saves work: a
conversation kept here is used when the stored version is still the one it was, the per-lead
asyncio lock keeps one process from racing itself, and recent delivery ids answer an
immediate retry without a query.
"""

import dataclasses
import logging
from collections import OrderedDict, deque
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from bot.inbound import normalised
from bot.locks import KeyedLocks
from dialogs import (
    Channel,
    ConversationState,
    Flow,
    InboundMessage,
    OutboundMessage,
    StepResult,
    new_state,
    step,
)
from dialogs.engine import apply_signal
from handoff.crm import CrmEvents, handoff_data
from handoff.outbox import reply_row
from handoff.privacy import erase
from handoff.summary import build_summary
from scoring import Band, Engagement, Stage
from scoring import score as compute_score
from storage.conversations import find_conversation
from storage.database import Database
from storage.rows import (
    ConversationRow,
    HandoffRow,
    LeadRow,
    MessageRow,
    OutboxRow,
    StageChangeRow,
    new_id,
)
from storage.turns import HandoffRefresh, Loaded, Takeover, TurnRequest, TurnWrite
from storage.writer import Writer

logger = logging.getLogger(__name__)
# Conversations kept in memory, most recent first; an older one is read back in the next
# batch. Each is ~46 objects that every full garbage collection walks, and the pause is what
# messages waiting behind it see: ~125 ms with 10,000 leads, ~560 ms with 50,000 (measured).
HOT_LEADS: Final = 10_000
SALES_STAGES: Final = frozenset({Stage.ACCEPTED, Stage.REJECTED, Stage.WON, Stage.LOST})
SILENCE_RULES: Final = frozenset({Engagement.WENT_SILENT})
SILENCE: Final = timedelta(hours=24)  # unanswered this long, a conversation went silent
RECENT_IDS: Final = 64  # per lead, the in-memory fast path of dedup (the database is the truth)
# A conversation keeps its flow version until it ends; what comes after (a restart, a new
# question) runs on the published version.
ENDED: Final = frozenset({"new", "completed", "closed"})


@dataclass(slots=True)
class LeadSession:
    """What the pipeline keeps in memory about one lead between messages."""

    id: str
    channel: str
    channel_user_id: str
    created_at: datetime
    state: ConversationState
    seq: int = 0  # the lead's last message sequence number
    source: str | None = None
    unreachable: bool = False
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=RECENT_IDS))
    version: int = 0  # the stored conversation version this state is
    fresh: bool = False  # the lead was created by the unit of work that read it


@dataclass(frozen=True, slots=True)
class Outcome:
    """What handling one inbound message produced, for the channel adapter to deliver."""

    lead_id: str
    replies: tuple[OutboundMessage, ...]
    reply_ids: tuple[str, ...]  # message row ids, to record the platform ids once sent
    duplicate: bool
    stage: Stage
    score: int
    band: Band
    language: str
    handoff_id: str | None = None
    unreachable: bool = False


class Pipeline:
    """Runs one inbound message end to end; transport-free, shared by every channel."""

    def __init__(
        self,
        db: Database,
        writer: Writer,
        flow: Flow,
        *,
        flows: Mapping[tuple[str, int], Flow] | None = None,
        clock: Callable[[], datetime],
        base_url: str = "",
        outbox_channels: Collection[str] = (),
        handoff_grace: timedelta = timedelta(0),
        crm: CrmEvents | None = None,
    ) -> None:
        self._db = db
        self._writer = writer
        self.flow = flow
        self._flows = dict(flows or {})
        self._flows[(flow.id, flow.version)] = flow
        self._clock = clock
        self._base_url = base_url.rstrip("/")
        # Channels whose replies go out after the webhook is answered (Telegram, WhatsApp):
        # they are outbox rows of the turn, so a crash after the commit loses none. The others
        # (web chat, terminal) answer in the response itself: their replies are sent at once.
        self._outbox_channels = frozenset(outbox_channels)
        # How long a new handoff waits before it is routed to an SDR (QUALIBOT_HANDOFF_GRACE_
        # SECONDS). None by default: the SDR hears of it at once; what the prospect says next
        # updates the notice.
        self._handoff_grace = handoff_grace
        self._crm = crm or CrmEvents()  # CRM events: outbox rows of the same transaction
        self._locks = KeyedLocks()
        self._hot: OrderedDict[str, LeadSession] = OrderedDict()
        self.on_handoff: Callable[[], None] = lambda: None  # wakes the outbox worker
        # False when no channel can reach an SDR (the embedded default): the admin inbox is
        # then the only place a handoff goes, and there is nothing to route.
        self.route_handoffs = True

    def use_flow(self, flow: Flow, live: bool) -> None:
        """Serve conversations on `flow`'s version; `live`: new conversations start on it
        (bot.flow_registry calls this when a version is published; chats in flight stay)."""
        self._flows[(flow.id, flow.version)] = flow
        if live:
            self.flow = flow

    def flow_for(self, state: ConversationState) -> Flow:
        # A conversation stays on the flow version it started with.
        return self._flows.get((state.flow_id, state.flow_version), self.flow)

    def _from_store(
        self, loaded: Loaded, cached: LeadSession | None, channel: str, user: str
    ) -> LeadSession:
        """The lead as the unit of work read it, from memory when that is still current
        (runs in the writer: builds a new session, never changes the cached one)."""
        lead = loaded.lead
        if loaded.score_events is None and cached is not None:
            state = cached.state
            recent = deque(cached.recent, maxlen=RECENT_IDS)
        elif loaded.conversation is None:
            state, recent = new_state(self.flow), deque(maxlen=RECENT_IDS)
        else:
            state = ConversationState.model_validate_json(loaded.conversation.state_json)
            # the stored state leaves its ledger to score_events, which holds every entry
            state = state.model_copy(update={"ledger": loaded.score_events or ()})
            recent = deque(maxlen=RECENT_IDS)
        live = self.flow
        if state.status in ENDED and (state.flow_id, state.flow_version) != (
            live.id,
            live.version,
        ):
            state = state.model_copy(update={"flow_id": live.id, "flow_version": live.version})
        stored = Stage(lead.stage)
        if stored in SALES_STAGES and state.stage is not stored:
            # sales decided on this lead since the state was written
            state = state.model_copy(update={"stage": stored})
        return LeadSession(
            id=lead.id,
            channel=channel,
            channel_user_id=user,
            created_at=lead.created_at,
            state=state,
            seq=loaded.next_seq - 1,
            source=lead.source,
            unreachable=lead.unreachable,
            recent=recent,
            version=loaded.conversation.version if loaded.conversation else 0,
            fresh=loaded.new,
        )

    def _new_lead(self, channel: str, user: str, now: datetime) -> LeadRow:
        """The row a first message creates (the turn fills it in before the commit)."""
        return LeadRow(
            id=new_id(),
            channel=channel,
            channel_user_id=user,
            name=None,
            phone=None,
            email=None,
            company=None,
            language="id",
            stage=Stage.LEAD.value,
            score=0,
            band=Band.COLD.value,
            source=None,
            opted_out=False,
            unreachable=False,
            created_at=now,
            last_activity_at=now,
        )

    def _keep(self, key: str, session: LeadSession) -> None:
        self._hot[key] = session
        self._hot.move_to_end(key)
        if len(self._hot) > HOT_LEADS:
            self._hot.popitem(last=False)

    def _forget(self, channel: str, user: str) -> None:
        self._hot.pop(f"{channel}:{user}", None)

    async def state_of(self, channel: str, user: str) -> ConversationState:
        """The conversation as it stands (a new one for an unknown prospect), e.g. to resolve a
        channel's shortened button ids against the question being asked."""
        async with self._locks.hold(f"{channel}:{user}"):
            cached = self._hot.get(f"{channel}:{user}")
            if cached is not None:
                return cached.state
            async with self._db.connection() as conn:
                found = await find_conversation(conn, channel, user)
            if found is None:
                return new_state(self.flow)
            return ConversationState.model_validate_json(found.state_json)

    def forget_lead(self, lead_id: str) -> None:
        """Drop a lead's cached state after a change made outside the pipeline (a sales
        decision, an erase): the next message reads it from the database."""
        for key, session in list(self._hot.items()):
            if session.id == lead_id:
                del self._hot[key]

    async def handle(self, inbound: InboundMessage) -> Outcome:
        """Process one message exactly once, in arrival order per lead; reply only after commit.

        MalformedInbound when the message's ids cannot be stored (bot.inbound); everything
        else that does not fit is cut or dropped there first."""
        inbound = normalised(inbound, received_at=self._clock())
        channel, user = inbound.channel.value, inbound.channel_user_id
        key = f"{channel}:{user}"
        async with self._locks.hold(key):
            cached = self._hot.get(key)
            if cached is not None and inbound.message_id in cached.recent:
                return self._duplicate_of(cached)
            now = self._clock()

            def decide(loaded: Loaded) -> tuple[TurnWrite, _Decided]:
                session = self._from_store(loaded, cached, channel, user)
                flow = self.flow_for(session.state)
                result = step(session.state, flow, inbound, now)
                takeover = loaded.takeover
                leaving = result.withdrawn or result.erase or result.state.status == "opted_out"
                if takeover is not None and loaded.conversation is not None and not leaving:
                    # an SDR talks to them: the message goes to the SDR, the bot is silent
                    return self._relayed(session, loaded, inbound, result, takeover, now)
                turn, reply_ids, handoff_id = self._turn(session, flow, inbound, result, now)
                return turn, _Decided(session, result, reply_ids, handoff_id)

            request = TurnRequest(
                channel=channel,
                channel_user_id=user,
                message_id=inbound.message_id,
                new_lead=self._new_lead(channel, user, now),
                decide=decide,
                version=cached.version if cached is not None else None,
            )
            try:
                done = await self._writer.turn(request)
            except Exception:
                self._forget(channel, user)  # the database is the truth again
                raise
            if done.duplicate or done.decided is None or done.written is None:
                self._forget(channel, user)  # another worker (or attempt) stored it first
                return self._stored_duplicate(done.lead, done.replies)
            decided = done.decided
            session, result, turn = decided.session, decided.result, done.written
            session.state = result.state
            session.seq += 1 + len(result.replies)
            session.unreachable = False
            session.source = turn.lead.source
            session.recent.append(inbound.message_id)
            session.version = turn.conversation.version
            self._keep(key, session)
            if result.erase:
                await self._erase(session, now)
            if turn.outbox:
                self.on_handoff()  # routing, a notice to update, replies to send
            return Outcome(
                lead_id=session.id,
                replies=result.replies,
                reply_ids=decided.reply_ids,
                duplicate=False,
                stage=result.state.stage,
                score=result.score.value,
                band=result.score.band,
                language=result.state.language,
                handoff_id=decided.handoff_id,
            )

    def _duplicate_of(self, session: LeadSession) -> Outcome:
        state = session.state
        current = self.flow_for(state)
        value = compute_score(state.ledger, self._clock(), current.policy)
        return Outcome(
            lead_id=session.id,
            replies=(),
            reply_ids=(),
            duplicate=True,
            stage=state.stage,
            score=value.value,
            band=value.band,
            language=state.language,
        )

    @staticmethod
    def _stored_duplicate(lead: LeadRow, replies: tuple[MessageRow, ...]) -> Outcome:
        """A delivery another worker (or an earlier attempt) stored: as the lead stands."""
        del replies  # the channel shows them again where it can (web chat: replies_to)
        return Outcome(
            lead_id=lead.id,
            replies=(),
            reply_ids=(),
            duplicate=True,
            stage=Stage(lead.stage),
            score=lead.score,
            band=Band(lead.band),
            language=lead.language,
        )

    async def _erase(self, session: LeadSession, now: datetime) -> None:
        lead_id = session.id
        crm = self._crm
        await self._writer.run(
            lambda conn: erase(conn, lead_id, now=now, crm=crm, why="the prospect asked")
        )
        self._forget(session.channel, session.channel_user_id)

    def _turn(
        self,
        session: LeadSession,
        flow: Flow,
        inbound: InboundMessage,
        result: StepResult,
        now: datetime,
    ) -> tuple[TurnWrite, tuple[str, ...], str | None]:
        state = result.state
        channel = session.channel
        inbound_row = MessageRow(
            id=new_id(),
            lead_id=session.id,
            seq=session.seq + 1,
            direction="in",
            channel=channel,
            channel_message_id=inbound.message_id,
            text=inbound.text or (f"[{inbound.unsupported}]" if inbound.unsupported else ""),
            choice_id=inbound.choice_id,
            choices=None,
            status="received",
            created_at=inbound.sent_at,
        )
        queued = channel in self._outbox_channels
        replies = tuple(
            MessageRow(
                id=new_id(),
                lead_id=session.id,
                seq=session.seq + 2 + n,
                direction="out",
                channel=channel,
                channel_message_id=None,
                text=reply.text,
                choice_id=None,
                choices=[{"id": c.id, "label": c.label} for c in reply.choices] or None,
                status="pending" if queued else "sent",
                created_at=now,
            )
            for n, reply in enumerate(result.replies)
        )
        handoff = None
        outbox: tuple[OutboxRow, ...] = (
            tuple(
                reply_row(
                    message_id=row.id,
                    channel=channel,
                    target=session.channel_user_id,
                    message=reply,
                    now=now,
                )
                for row, reply in zip(replies, result.replies, strict=True)
            )
            if queued
            else ()
        )
        stage_change = None
        if result.stage_change is not None:
            stage_change = StageChangeRow(
                lead_id=session.id,
                from_stage=session.state.stage.value,
                to_stage=result.stage_change.value,
                at=now,
                reason=f"score {result.score.value}",
            )
        refresh = None
        before = session.state
        if result.handoff is not None and before.handoff is None:
            handoff = HandoffRow(
                id=new_id(),
                lead_id=session.id,
                created_at=now,
                summary=self._summary(session, flow, inbound, result, now),
                sdr_id=None,
                due_at=flow.hours.contact_by(now, flow.sla),
            )
            if self.route_handoffs:
                outbox += (
                    OutboxRow(
                        dedup_key=f"handoff:{handoff.id}:route",
                        kind="handoff.route",
                        channel="",
                        target="",
                        payload={},
                        handoff_id=handoff.id,
                        next_attempt_at=now + self._handoff_grace,
                        created_at=now,
                    ),
                )
        elif before.handoff is not None and (
            result.slot_changes
            or result.withdrawn
            or state.status != before.status
            or state.handoff != before.handoff
        ):
            # the SDR's notice says what the prospect added (an edit, or one follow-up)
            ended = state.status != "active" and before.status == "active"
            refresh = HandoffRefresh(
                lead_id=session.id,
                summary=self._summary(session, flow, inbound, result, now),
                release_at=now if ended else None,
                withdrawn=result.withdrawn,
            )
            kind = "handoff.withdraw" if result.withdrawn else "handoff.update"
            outbox += (
                OutboxRow(
                    dedup_key=f"{kind}:{session.id}:{inbound_row.id}",
                    kind=kind,
                    channel="",
                    target="",
                    payload={"lead_id": session.id},
                    handoff_id=None,
                    next_attempt_at=now,
                    created_at=now,
                ),
            )
        source = session.source or inbound.source
        outbox += tuple(self._crm_rows(session, result, handoff, stage_change, source, now))
        turn = TurnWrite(
            lead=self._lead_row(session, inbound, result, now),
            conversation=ConversationRow(
                lead_id=session.id,
                flow_id=state.flow_id,
                flow_version=state.flow_version,
                status=state.status,
                current_question=state.current_question,
                # without the ledger (ConversationState excludes it): that is in score_events,
                # written by this same turn
                state_json=state.model_dump_json(),
                updated_at=now,
            ),
            inbound=inbound_row,
            outbound=replies,
            score_events=result.score_events,
            stage_change=stage_change,
            handoff=handoff,
            outbox=outbox,
            refresh=refresh,
        )
        return turn, tuple(row.id for row in replies), handoff.id if handoff else None

    def _relayed(
        self,
        session: LeadSession,
        loaded: Loaded,
        inbound: InboundMessage,
        result: StepResult,
        takeover: Takeover,
        now: datetime,
    ) -> tuple[TurnWrite, "_Decided"]:
        """A prospect's message during a takeover: stored, relayed to the SDR's chat as a
        note of the handoff (a reply to it is relayed back), and nothing else changes."""
        conversation = loaded.conversation
        if conversation is None:  # pragma: no cover - the caller checked
            raise ValueError("a takeover without a conversation")
        text = inbound.text or (f"[{inbound.unsupported}]" if inbound.unsupported else "")
        if not text and inbound.choice_id:
            text = f"[pressed {inbound.choice_id}]"
        inbound_row = MessageRow(
            id=new_id(),
            lead_id=session.id,
            seq=session.seq + 1,
            direction="in",
            channel=session.channel,
            channel_message_id=inbound.message_id,
            text=text,
            choice_id=inbound.choice_id,
            choices=None,
            status="received",
            created_at=inbound.sent_at,
        )
        summary_name = loaded.lead.name or session.channel_user_id
        who = f"{summary_name} ({loaded.lead.company})" if loaded.lead.company else summary_name
        relay = OutboxRow(
            dedup_key=f"relay:{inbound_row.id}",
            kind="note",
            channel=takeover.channel,
            target=takeover.address,
            payload={
                "text": f"💬 {who}: {text}",
                "choices": [
                    {"id": f"ho:handback:{takeover.handoff_id}", "label": "↩️ Back to the bot"}
                ],
            },
            handoff_id=takeover.handoff_id,
            next_attempt_at=now,
            created_at=now,
        )
        lead = dataclasses.replace(loaded.lead, last_activity_at=now)
        turn = TurnWrite(
            lead=lead,
            conversation=conversation,
            inbound=inbound_row,
            outbound=(),
            score_events=(),
            stage_change=None,
            handoff=None,
            outbox=(relay,),
        )
        quiet = dataclasses.replace(
            result,
            state=session.state,
            replies=(),
            slot_changes=(),
            score_events=(),
            stage_change=None,
            handoff=None,
        )
        return turn, _Decided(session, quiet, (), None)

    def _crm_rows(
        self,
        session: LeadSession,
        result: StepResult,
        handoff: HandoffRow | None,
        stage_change: StageChangeRow | None,
        source: str | None,
        now: datetime,
    ) -> list[OutboxRow]:
        """The CRM events this turn makes happen (none without a webhook URL)."""
        if not self._crm.urls:
            return []
        lead = {"lead_id": session.id, "channel": session.channel}
        events: list[tuple[str, dict[str, Any]]] = []
        if session.fresh and session.seq == 0:
            events.append(("lead.created", {**lead, "source": source}))
        if stage_change is not None:
            events.append(
                (
                    "lead.stage_changed",
                    {**lead, "from": stage_change.from_stage, "to": stage_change.to_stage},
                )
            )
        if handoff is not None:
            events.append(
                ("handoff.created", handoff_data(handoff.id, session.id, handoff.summary))
            )
        if result.state.status == "opted_out" and session.state.status != "opted_out":
            events.append(("lead.opted_out", lead))
        return self._crm.many(events, now=now)

    def _summary(
        self,
        session: LeadSession,
        flow: Flow,
        inbound: InboundMessage,
        result: StepResult,
        now: datetime,
    ) -> dict[str, Any]:
        return build_summary(
            lead_id=session.id,
            channel=session.channel,
            state=result.state,
            flow=flow,
            score=result.score,
            stage=result.state.stage,
            source=inbound.source or session.source,
            transcript_url=f"{self._base_url}/admin/leads/{session.id}",
            now=now,
        )

    @staticmethod
    def _lead_row(
        session: LeadSession, inbound: InboundMessage, result: StepResult, now: datetime
    ) -> LeadRow:
        slots = result.state.slots

        def field_of(slot: str, key: str | None = None) -> str | None:
            found = slots.get(slot)
            if found is None or found.status != "filled" or found.value is None:
                return None
            value = found.value.get(key) if key and isinstance(found.value, dict) else found.value
            return None if value is None else str(value)[:200]

        return LeadRow(
            id=session.id,
            channel=session.channel,
            channel_user_id=session.channel_user_id,
            name=field_of("name"),
            phone=field_of("phone", "number"),
            email=field_of("email", "address"),
            company=field_of("company"),
            language=result.state.language,
            stage=result.state.stage.value,
            score=result.score.value,
            band=result.score.band.value,
            source=session.source or inbound.source,
            opted_out=result.state.status == "opted_out",
            unreachable=False,
            created_at=session.created_at,
            last_activity_at=now,
        )

    async def signal(self, channel: str, user: str, rule: Engagement) -> Outcome | None:
        """An engagement signal (read receipt, silence) for a known lead; None if unknown.

        Silence counts once per silence: when another worker's pass (or a message) touched
        the conversation since the day it went quiet, nothing is written."""
        key = f"{channel}:{user}"
        async with self._locks.hold(key):
            cached = self._hot.get(key)
            now = self._clock()
            quiet_since = now - SILENCE

            def decide(loaded: Loaded) -> tuple[TurnWrite | None, _Decided | None]:
                stored = loaded.conversation
                if loaded.new or stored is None:
                    return None, None
                if rule in SILENCE_RULES and stored.updated_at >= quiet_since:
                    return None, None
                session = self._from_store(loaded, cached, channel, user)
                flow = self.flow_for(session.state)
                result = apply_signal(session.state, flow, rule, now)
                placeholder = InboundMessage(
                    channel=Channel(channel), channel_user_id=user, message_id="", sent_at=now
                )
                turn, _, handoff_id = self._turn(session, flow, placeholder, result, now)
                turn = TurnWrite(
                    lead=turn.lead,
                    conversation=turn.conversation,
                    inbound=None,
                    outbound=(),
                    score_events=turn.score_events,
                    stage_change=turn.stage_change,
                    handoff=turn.handoff,
                    outbox=turn.outbox,
                )
                return turn, _Decided(session, result, (), handoff_id)

            done = await self._writer.turn(
                TurnRequest(
                    channel=channel,
                    channel_user_id=user,
                    message_id=None,
                    new_lead=self._new_lead(channel, user, now),
                    decide=decide,
                    version=cached.version if cached is not None else None,
                    create=False,
                )
            )
            decided = done.decided
            if decided is None or done.written is None:
                return None
            session, result = decided.session, decided.result
            session.state = result.state
            session.version = done.written.conversation.version
            self._keep(key, session)
            return Outcome(
                lead_id=session.id,
                replies=(),
                reply_ids=(),
                duplicate=False,
                stage=result.state.stage,
                score=result.score.value,
                band=result.score.band,
                language=result.state.language,
                handoff_id=decided.handoff_id,
            )


@dataclass(slots=True)
class _Decided:
    """What the engine decided inside the unit of work, for the caller after the commit."""

    session: LeadSession
    result: StepResult
    reply_ids: tuple[str, ...]
    handoff_id: str | None
