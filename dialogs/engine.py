"""The dialog engine: step(state, flow, inbound, now) -> StepResult, pure and deterministic."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dialogs.branching import next_open
from dialogs.describe import describe_slot, money
from dialogs.extract import Expecting, Extraction, extract_all
from dialogs.facts import attributes, qualification
from dialogs.flow.flow import Flow
from dialogs.flow.schema import Question
from dialogs.intents import CONTACT_SLOTS, language_switch, wants_restart, wants_stop
from dialogs.language import detect_language, language_from_hint
from dialogs.messages import Choice, InboundMessage, OutboundMessage
from dialogs.questions import Answer, answer, prompt
from dialogs.slots import Intent
from dialogs.state import (
    ConversationState,
    Pending,
    SlotChange,
    SlotValue,
    trusted,
)
from scoring import (
    Attribute,
    Engagement,
    Score,
    ScoreEvent,
    Stage,
    engagement_event,
    fit_events,
    score,
)
from scoring.stages import next_stage

FAST_ANSWER = timedelta(minutes=5)
# Slots any message may fill, by the question kind that owns them.
_EXTRACTED: dict[str, str] = {
    "money": "budget",
    "timeline": "timeline",
    "role": "authority",
    "need": "need",
    "email": "email",
    "phone": "phone",
}
_NAMED = frozenset({"name", "company"})  # free-text slots read by dialogs.extract.names
_KIND_EXPECTS: dict[str, Expecting] = {
    "money": "money",
    "timeline": "timeline",
    "role": "role",
    "need": "need",
    "yesno": "yesno",
    "number": "number",
    "email": "email",
    "phone": "phone",
    "choice": "choice",
    "text": "text",
}


def _expecting(question: Question) -> Expecting:
    """What the reply to `question` may be read as; a free-text name or company question
    lets a bare reply be the name or the company."""
    if question.kind == "text" and question.slot in ("name", "company"):
        return "name" if question.slot == "name" else "company"
    return _KIND_EXPECTS.get(question.kind)


@dataclass(frozen=True, slots=True)
class StepResult:
    """Everything one step decided; the shell persists it in one transaction."""

    state: ConversationState
    replies: tuple[OutboundMessage, ...]
    slot_changes: tuple[SlotChange, ...]
    score_events: tuple[ScoreEvent, ...]
    stage_change: Stage | None
    score: Score
    erase: bool = False  # the prospect asked for their data to be erased


def new_state(flow: Flow) -> ConversationState:
    """A conversation that has not started yet."""
    return ConversationState(flow_id=flow.id, flow_version=flow.version)


class _Turn:
    """The mutable work of one step; never escapes `step`."""

    def __init__(self, state: ConversationState, flow: Flow, now: datetime) -> None:
        self.flow, self.now, self.before = flow, now, state
        # shallow: values stay validated models, so building the new state needs no
        # validation pass (the engine runs on every message)
        self.fields: dict[str, Any] = state.__dict__.copy()
        self.fields["slots"] = dict(state.slots)
        self.replies: list[OutboundMessage] = []
        self.changes: list[SlotChange] = []
        self.events: list[ScoreEvent] = []
        self.erase = False
        self._attributes: tuple[int, dict[str, Attribute]] | None = None

    @property
    def language(self) -> str:
        return str(self.fields["language"])

    @property
    def slots(self) -> dict[str, SlotValue]:
        slots: dict[str, SlotValue] = self.fields["slots"]
        return slots

    def say(self, key: str, **fields: str) -> None:
        self.replies.append(OutboundMessage(self.flow.text(key, self.language, **fields)))

    def fill(
        self,
        slot: str,
        value: Any,
        raw: str,
        question_id: str | None,
        *,
        unknown: bool = False,
        confidence: float | None = None,
    ) -> None:
        if confidence is None:  # a reading's dump says how sure it was; a button press is sure
            found = value.get("confidence") if isinstance(value, dict) else None
            confidence = float(found) if isinstance(found, int | float) else 1.0
        # typed values from the engine itself (raw text, the step's `now`): nothing to validate
        new = trusted(
            SlotValue,
            {
                "value": value,
                "raw": raw,
                "status": "unknown" if unknown else "filled",
                "question_id": question_id,
                "at": self.now,
                "confidence": confidence,
            },
        )
        self.changes.append(
            trusted(SlotChange, {"slot": slot, "old": self.slots.get(slot), "new": new})
        )
        self.slots[slot] = new

    def engage(self, rule: Engagement) -> None:
        event = engagement_event(rule, self.now, self.flow.engagement_points)
        if event is not None:
            self.events.append(event)

    def state(self) -> ConversationState:
        # every field is here (a copy of the old state's) and every value validated already
        return trusted(ConversationState, dict(self.fields))

    def attributes(self) -> dict[str, Attribute]:
        """Fit-rule attributes of the slots as they are now (cached until a slot changes)."""
        if self._attributes is None or self._attributes[0] != len(self.changes):
            rates = self.flow.document.scoring.exchange_rates
            self._attributes = (len(self.changes), attributes(self.slots, self.now, rates))
        return self._attributes[1]


def step(
    state: ConversationState, flow: Flow, inbound: InboundMessage, now: datetime
) -> StepResult:
    """Advance one conversation by one inbound message."""
    turn = _Turn(state, flow, now)
    text = inbound.text.strip()
    if state.status in {"new", "erased"}:
        turn.fields.update(
            status="active",
            language=language_from_hint(inbound.language_hint) or detect_language(text) or "id",
        )
    current = flow.questions.get(state.current_question or "")
    expecting = _expecting(current) if current else None
    heard = (
        extract_all(text, now=now, language=turn.language, expecting=expecting)
        if text
        else Extraction()
    )
    _run(turn, inbound, text, heard, current)
    return _finish(turn, inbound)


def _run(
    turn: _Turn,
    inbound: InboundMessage,
    text: str,
    heard: Extraction,
    current: Question | None,
) -> None:
    flow, status = turn.flow, turn.before.status
    if wants_stop(inbound, heard):
        if status != "opted_out":
            turn.fields.update(status="opted_out", current_question=None)
            turn.engage(Engagement.OPTED_OUT)
            turn.say("stop")
        return
    if Intent.ERASE in heard.intents:
        turn.fields.update(status="erased", current_question=None, slots={}, pending=None)
        turn.erase = True
        turn.say("erased")
        return
    if status == "opted_out":
        if inbound.command == "start" or wants_restart(inbound, heard):
            turn.fields.update(status="active", current_question=None, slots={}, pending=None)
            _ask_next(turn, flow.document.start)
        else:
            turn.say("opted_out_again")
        return
    switched = language_switch(heard)
    if switched is not None and switched != turn.language:
        turn.fields["language"] = switched
        turn.say("language")
    if wants_restart(inbound, heard) and status not in {"new", "erased"}:
        turn.fields.update(
            status="active", current_question=None, slots={}, pending=None, retries=0
        )
        turn.say("restart")
        _ask_next(turn, flow.document.start)
        return
    if inbound.command == "help" or Intent.HELP in heard.intents:
        turn.say("help")
    if inbound.profile_name and "name" not in turn.slots and flow.question_for_slot("name"):
        turn.fill("name", inbound.profile_name.strip()[:100], inbound.profile_name, None)
    if inbound.contact_phone and flow.question_for_slot("phone"):
        turn.fill("phone", {"number": inbound.contact_phone}, inbound.contact_phone, None)
    _intents(turn, heard)
    if inbound.unsupported:
        turn.say("unsupported")
    noted = _fill_from_text(turn, heard, text, current)
    if status == "completed":
        if noted:
            _confirm(turn, noted)
        elif not turn.replies:
            turn.say("completed_again")
        return
    if current is None:
        if status == "active" and inbound.command == "start":
            turn.say("welcome_back")
        _ask_next(turn, flow.document.start, noted=noted)
        return
    if turn.before.pending is not None:
        if _resolve_pending(turn, turn.before.pending, text, inbound):
            _ask_next(turn, current.id, noted=noted)
        return
    reply = (
        answer(
            flow,
            current,
            inbound,
            text,
            heard,
            # a greeting before the answer ("halo kak, saya Budi") is no other business
            answered_elsewhere=bool(noted) or bool(heard.intents - {Intent.GREETING}),
        )
        if text or inbound.choice_id
        else Answer()
    )
    if reply.found:
        _take(
            turn,
            current,
            reply.value,
            text or inbound.choice_id or "",
            noted,
            confidence=reply.confidence,
        )
        return
    if reply.tied:
        turn.fields["retries"] = turn.before.retries + 1
        _ask_tie(turn, current, reply.tied)
        return
    if noted or heard.intents - {Intent.GREETING} or inbound.unsupported or inbound.command:
        _ask_next(turn, current.id, noted=noted)
        return
    retries = turn.before.retries + 1
    if retries > current.retries:
        turn.fill(current.slot, None, text, current.id, unknown=True)
        turn.say("move_on")
        _ask_next(turn, current.id)
        return
    turn.fields["retries"] = retries
    turn.replies.append(prompt(flow, current, turn.language, reask=True))
    turn.fields["last_prompt_at"] = turn.now


def _intents(turn: _Turn, heard: Extraction) -> None:
    if Intent.PRICE in heard.intents:
        turn.engage(Engagement.ASKED_PRICE)
        turn.say("price")
    if Intent.HUMAN in heard.intents:
        turn.engage(Engagement.WANTS_HUMAN)
        turn.say("human")
    if Intent.DEMO in heard.intents:
        turn.engage(Engagement.ASKED_DEMO)
        turn.fields["demo_requested"] = True
        turn.say("demo")


def _fill_from_text(
    turn: _Turn, heard: Extraction, text: str, current: Question | None
) -> list[str]:
    """Fill every slot the message speaks to (besides the current question's); the names filled."""
    noted: list[str] = []
    for question in turn.flow.questions.values():
        slot = _EXTRACTED.get(question.kind)
        if question.kind == "text" and question.slot in _NAMED:
            slot = question.slot  # "saya Dewi dari PT Maju" fills the name and the company
        if slot is None or question.slot != slot or (current and current.slot == slot):
            continue
        if slot in _NAMED:
            named = getattr(heard, slot)
            if named is not None:
                turn.fill(slot, named.value, text, question.id, confidence=named.confidence)
                noted.append(slot)
            continue
        value = getattr(heard, slot)
        if value is None or (slot == "need" and value.level == "unknown"):
            continue
        if slot == "budget" and value.ambiguous:
            if turn.fields.get("pending") is None and not turn.before.pending:
                _ask_back_money(turn, question, value.model_dump(mode="json"), text)
            continue
        turn.fill(slot, value.model_dump(mode="json"), text, question.id)
        noted.append(slot)
    return noted


def _take(
    turn: _Turn,
    question: Question,
    value: Any,
    raw: str,
    noted: list[str],
    *,
    confidence: float | None = None,
) -> None:
    if question.kind == "money" and isinstance(value, dict) and value.get("ambiguous"):
        _ask_back_money(turn, question, value, raw)
        if noted:
            _confirm(turn, noted)
        return
    previous = turn.before.last_prompt_at
    if previous is not None and turn.now - previous <= FAST_ANSWER:
        turn.engage(Engagement.ANSWERED_FAST)
    turn.fill(question.slot, value, raw, question.id, confidence=confidence)
    if len(noted) >= 1:
        _confirm(turn, [question.slot, *noted])
    _ask_next(turn, question.id)


def _confirm(turn: _Turn, slots: list[str]) -> None:
    items = [
        describe_slot(
            slot, turn.slots[slot].value, turn.language, turn.flow.question_for_slot(slot)
        )
        for slot in dict.fromkeys(slots)
        if slot in turn.slots
    ]
    if items:
        turn.say("noted", items=", ".join(items))


def _ask_back_money(turn: _Turn, question: Question, value: dict[str, Any], raw: str) -> None:
    options = tuple(value.get("alternatives") or ())
    if len(options) < 2:
        turn.replies.append(prompt(turn.flow, question, turn.language, reask=True))
        return
    turn.fields["pending"] = Pending(
        slot=question.slot, question_id=question.id, value=value, raw=raw, alternatives=options
    )
    a, b = (money(int(x), "IDR", turn.language) for x in options[:2])
    turn.replies.append(
        OutboundMessage(
            turn.flow.text("ask_back_money", turn.language, a=a, b=b),
            (Choice("pending:0", a), Choice("pending:1", b)),
        )
    )
    turn.fields["current_question"] = question.id
    turn.fields["last_prompt_at"] = turn.now


def _resolve_pending(turn: _Turn, pending: Pending, text: str, inbound: InboundMessage) -> bool:
    """Settle an ambiguous amount; True once the slot is filled (or given up on)."""
    choice: int | None = None
    if inbound.choice_id in {"pending:0", "pending:1"}:
        choice = int(inbound.choice_id.split(":")[1])
    else:
        lowered = text.casefold()
        big = any(w in lowered for w in ("miliar", "milyar", "billion", "m ", "mil"))
        small = any(w in lowered for w in ("juta", "jt", "million", "jeti"))
        if small and not (big and "miliar" in lowered):
            choice = 1
        elif big:
            choice = 0
    if choice is None:
        retries = turn.before.retries + 1
        if retries > 1:
            turn.fields.update(pending=None, retries=0)
            turn.fill(pending.slot, None, pending.raw, pending.question_id, unknown=True)
            return True
        turn.fields["retries"] = retries
        turn.fields["pending"] = pending
        _ask_back_money_again(turn, pending)
        return False
    amount = int(pending.alternatives[choice])
    value = dict(pending.value)
    for key in ("min", "max"):
        if value.get(key) is not None:
            value[key] = amount if value[key] == pending.alternatives[0] else value[key]
    value.update(min=amount if value.get("min") is not None else None, max=amount)
    value.update(ambiguous=False, alternatives=[], currency="IDR")
    turn.fields.update(pending=None, retries=0)
    turn.fill(
        pending.slot, value, f"{pending.raw} / {text or inbound.choice_id}", pending.question_id
    )
    _confirm(turn, [pending.slot])
    return True


def _ask_back_money_again(turn: _Turn, pending: Pending) -> None:
    a, b = (money(int(x), "IDR", turn.language) for x in pending.alternatives[:2])
    turn.replies.append(
        OutboundMessage(
            turn.flow.text("ask_back_money", turn.language, a=a, b=b),
            (Choice("pending:0", a), Choice("pending:1", b)),
        )
    )


def _ask_tie(turn: _Turn, question: Question, tied: tuple[str, ...]) -> None:
    labels = {o.id: o.label.get(turn.language) or o.label["en"] for o in question.options}
    a, b = (labels.get(option, option) for option in tied[:2])
    turn.replies.append(
        OutboundMessage(
            turn.flow.text("tie", turn.language, a=a, b=b),
            tuple(Choice(option, labels.get(option, option)) for option in tied),
        )
    )
    turn.fields["last_prompt_at"] = turn.now


def _ask_next(turn: _Turn, start: str, *, noted: list[str] | None = None) -> None:
    """Confirm what was heard, then ask the first open question from `start` (or close)."""
    if noted:
        _confirm(turn, noted)
    if turn.fields.get("pending") is not None:
        return
    flow = turn.flow
    if turn.fields.get("demo_requested") and not any(s in turn.slots for s in CONTACT_SLOTS):
        # a demo request jumps toward handoff: only how to reach them is still needed
        contact = next((q for q in flow.questions.values() if q.slot in CONTACT_SLOTS), None)
        if contact is not None:
            start = contact.id
    question, said = next_open(flow, set(turn.slots), start, turn.attributes())
    for texts in said:
        turn.replies.append(OutboundMessage(texts.get(turn.language) or texts["en"]))
    turn.fields["retries"] = (
        0 if question is None or question.id != start else turn.fields["retries"]
    )
    if question is None:
        turn.fields.update(status="completed", current_question=None)
        if all(slot.status == "filled" for slot in turn.slots.values()):
            turn.engage(Engagement.COMPLETED)
        if not said:
            name = turn.slots.get("name")
            turn.say("closing", name=str(name.value) if name and name.value else "")
        return
    if question.id != turn.before.current_question:
        turn.fields["retries"] = 0
    turn.fields["current_question"] = question.id
    turn.replies.append(prompt(flow, question, turn.language))
    turn.fields["last_prompt_at"] = turn.now


def _finish(turn: _Turn, inbound: InboundMessage) -> StepResult:
    flow, before = turn.flow, turn.before
    if turn.changes and not turn.erase:
        # only answers change fit; a turn that filled no slot cannot move it
        live = {entry.key: entry.points for entry in before.ledger if entry.key}
        changed = {change.slot for change in turn.changes}
        rules = tuple(rule for slot in changed for rule in flow.rules_by_slot.get(slot, ()))
        turn.events.extend(fit_events(rules, turn.attributes(), turn.now, live))
    ledger = () if turn.erase else before.ledger + tuple(turn.events)
    turn.fields.update(ledger=ledger, turns=before.turns + 1, last_inbound_at=inbound.sent_at)
    state = turn.state()
    current = score(state.ledger, turn.now, flow.policy)
    change = (
        None
        if turn.erase
        else next_stage(
            state.stage,
            qualification(state, current.value, turn.now, flow.document.scoring.exchange_rates),
            flow.stage_rules,
        )
    )
    if change is not None:
        state = state.model_copy(update={"stage": change})
        if change is Stage.SQL and state.status != "completed":
            # before the next question, so the prospect knows a person will follow up
            handoff = OutboundMessage(flow.text("handoff", state.language))
            at = len(turn.replies) - 1 if state.current_question else len(turn.replies)
            turn.replies.insert(max(at, 0), handoff)
    return StepResult(
        state=state,
        replies=tuple(turn.replies),
        slot_changes=tuple(turn.changes),
        score_events=tuple(turn.events),
        stage_change=change,
        score=current,
        erase=turn.erase,
    )


def apply_signal(
    state: ConversationState, flow: Flow, rule: Engagement, now: datetime
) -> StepResult:
    """An engagement signal from outside a message (read receipt, silence): score and stage."""
    event = engagement_event(rule, now, flow.engagement_points)
    events = (event,) if event is not None else ()
    state = state.model_copy(update={"ledger": state.ledger + tuple(events)})
    current = score(state.ledger, now, flow.policy)
    rates = flow.document.scoring.exchange_rates
    change = next_stage(
        state.stage, qualification(state, current.value, now, rates), flow.stage_rules
    )
    if change is not None:
        state = state.model_copy(update={"stage": change})
    return StepResult(state, (), (), events, change, current)
