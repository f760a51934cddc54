"""The dialog engine: step(state, flow, inbound, now) -> StepResult, pure and deterministic.

The policy is the call an experienced SDR would make, in the order a message is read:

1. Stop (in any wording) ends the conversation at once and withdraws any handoff; "mulai"
   or START afterwards resumes where it was. Erase forgets everything.
2. Language: switched on request, or when the prospect plainly writes in the other one.
3. Intents: a person or a demo asked for is a handoff now (on web chat first one skippable
   question for a phone or email); a price question gets the flow's pricing answer; "is this
   a bot?" an honest answer and a person offered; not interested closes politely; someone
   asking for another person is asked for that person's contact once.
4. Consent first: what a prospect tells before consenting is held, applied once they consent
   (or answer with facts) and dropped if they decline.
5. The question asked (dialogs.policy): a sure answer is taken (echoed where it helps), an
   unsure one confirmed, an unclear one clarified with buttons; at most two asks per question.
6. The end (dialogs.closing), decided after the turn's score and stage are known: a lead
   that became SQL is handed off now (only contact details are asked after that, as
   optional); any other end gets the closing of its outcome. Only a handoff promises contact.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from dialogs import closing
from dialogs.branching import next_open
from dialogs.describe import describe_slot, money
from dialogs.extract import Expecting, Extraction, extract_all, match_choice, parse_yesno
from dialogs.facts import attributes, qualification
from dialogs.flow.flow import Flow
from dialogs.flow.schema import Question
from dialogs.intents import language_switch, wants_restart, wants_stop
from dialogs.language import detect_language, language_from_hint, word_counts
from dialogs.messages import Channel, Choice, InboundMessage, OutboundMessage
from dialogs.policy import (
    MAX_ASKS,
    MAX_SAID,
    OTHER,
    SURE,
    UNSURE,
    clarified,
    clarify_choices,
    confidence_of,
    fingerprint,
)
from dialogs.questions import Answer, answer, prompt
from dialogs.slots import Budget, Intent
from dialogs.state import (
    ConversationState,
    HandoffReason,
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
CONTACT: Final = "@contact"  # the engine's own question: a phone or an email, skippable
SKIP: Final = "skip"
PENDING_YES, PENDING_NO = "pending:yes", "pending:no"
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
_ECHOED = frozenset({"money", "timeline", "role"})  # typed answers worth reading back
_CONFIRMED = frozenset({"money", "timeline", "role", "need"})  # unsure readings confirmed
_RESUME = re.compile(r"^\W*(?:/?start|mulai|lanjut(?:kan)?|resume|continue)\W*$", re.IGNORECASE)
_SKIP = re.compile(
    r"^\W*(?:lewati|lewat|skip|nanti(?: saja| aja)?|tidak|gak|ga|nggak|no|tidak usah|"
    r"nope|pass)\W*$",
    re.IGNORECASE,
)
_CONTACT_SLOTS = ("phone", "email")
_LEARNING = frozenset({"student", "intern"})
_LANGUAGE_MARGIN: Final = 2  # words of the other language, more than of ours, to switch


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
    handoff: HandoffReason | None = None  # a handoff made by this step
    withdrawn: bool = False  # the prospect opted out after a handoff: tell its SDR


def new_state(flow: Flow) -> ConversationState:
    """A conversation that has not started yet."""
    return ConversationState(flow_id=flow.id, flow_version=flow.version)


class _Turn:
    """The mutable work of one step; never escapes `step`."""

    def __init__(
        self, state: ConversationState, flow: Flow, inbound: InboundMessage, now: datetime
    ) -> None:
        self.flow, self.now, self.before, self.inbound = flow, now, state, inbound
        # shallow: values stay validated models, so building the new state needs no
        # validation pass (the engine runs on every message)
        self.fields: dict[str, Any] = dict(state)
        self.fields["slots"] = dict(state.slots)
        self.fields["held"] = dict(state.held)
        self.fields["asked"] = dict(state.asked)
        self.fields["said"] = dict(state.said)
        self.replies: list[OutboundMessage] = []
        self.changes: list[SlotChange] = []
        self.events: list[ScoreEvent] = []
        self.erase = False
        self.handoff: HandoffReason | None = None
        self.withdrawn = False
        self.ended = False  # the flow has no question left: _finish says the closing
        self.question_at: int | None = None  # index in replies of the question put now
        self.switched = False  # the language changed: the question is put again as new
        self._attributes: tuple[int, dict[str, Attribute]] | None = None

    @property
    def language(self) -> str:
        return str(self.fields["language"])

    @property
    def slots(self) -> dict[str, SlotValue]:
        slots: dict[str, SlotValue] = self.fields["slots"]
        return slots

    @property
    def held(self) -> dict[str, SlotValue]:
        held: dict[str, SlotValue] = self.fields["held"]
        return held

    @property
    def asked(self) -> dict[str, int]:
        asked: dict[str, int] = self.fields["asked"]
        return asked

    def send(self, message: OutboundMessage) -> bool:
        """Queue a reply unless this very text went out MAX_SAID times already."""
        said: dict[str, int] = self.fields["said"]
        key = fingerprint(message.text)
        if said.get(key, 0) >= MAX_SAID:
            return False
        said[key] = said.get(key, 0) + 1
        self.replies.append(message)
        return True

    def say(self, key: str, *buttons: Choice, **fields: str) -> bool:
        return self.send(OutboundMessage(self.flow.text(key, self.language, **fields), buttons))

    def consented(self) -> bool:
        """Whether facts may be kept: the flow asks no consent, or it was given."""
        if self.flow.question_for_slot("consent") is None:
            return True
        given = self.slots.get("consent")
        return given is not None and given.value is True

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
        new = self._value(value, raw, question_id, unknown=unknown, confidence=confidence)
        if not self.consented() and slot != "consent":
            self.held[slot] = new  # applied once they consent
            return
        self.changes.append(
            trusted(SlotChange, {"slot": slot, "old": self.slots.get(slot), "new": new})
        )
        self.slots[slot] = new

    def _value(
        self,
        value: Any,
        raw: str,
        question_id: str | None,
        *,
        unknown: bool,
        confidence: float | None,
    ) -> SlotValue:
        # typed values from the engine itself (raw text, the step's `now`): nothing to validate
        return trusted(
            SlotValue,
            {
                "value": value,
                "raw": raw,
                "status": "unknown" if unknown else "filled",
                "question_id": question_id,
                "at": self.now,
                "confidence": confidence_of(value, confidence),
            },
        )

    def release_held(self) -> list[str]:
        """Consent given: what was held becomes the lead's; the slots they told us (a
        platform's profile name is taken, not read back to them)."""
        released = [slot for slot in self.held if slot not in self.slots]
        for slot in released:
            new = self.held[slot]
            self.changes.append(trusted(SlotChange, {"slot": slot, "old": None, "new": new}))
            self.slots[slot] = new
        self.fields["held"] = {}
        return [slot for slot in released if self.slots[slot].question_id is not None]

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
    turn = _Turn(state, flow, inbound, now)
    text = inbound.text.strip()
    if state.status in {"new", "erased"}:
        turn.fields.update(
            status="active",
            language=language_from_hint(inbound.language_hint) or detect_language(text) or "id",
        )
    current = flow.questions.get(state.current_question or "")
    expecting = _expecting(current) if current else None
    if state.current_question == CONTACT or (state.pending and state.pending.kind == "referral"):
        expecting = "phone"
    heard = (
        extract_all(text, now=now, language=turn.language, expecting=expecting)
        if text
        else Extraction()
    )
    _run(turn, text, heard, current)
    return _finish(turn)


def _run(turn: _Turn, text: str, heard: Extraction, current: Question | None) -> None:
    flow, before, inbound = turn.flow, turn.before, turn.inbound
    status = before.status
    if wants_stop(inbound, heard):
        if status != "opted_out":
            turn.fields.update(status="opted_out", pending=None, held={})
            turn.engage(Engagement.OPTED_OUT)
            turn.withdrawn = before.handoff is not None
            turn.say("stop")
        return
    if Intent.ERASE in heard.intents:
        turn.fields.update(
            status="erased", current_question=None, slots={}, pending=None, held={}, asked={}
        )
        turn.erase = True
        turn.say("erased")
        return
    if status == "opted_out":
        if inbound.command == "start" or wants_restart(inbound, heard) or _RESUME.match(text):
            _resume(turn, current)
        else:
            turn.say("opted_out_again")
        return
    _language(turn, text, heard)
    if wants_restart(inbound, heard) and status not in {"new", "erased"}:
        turn.fields.update(
            status="active",
            current_question=None,
            slots={},
            pending=None,
            held={},
            asked={},
            said={},
            handoff=None,
            retries=0,
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
    if inbound.unsupported:
        turn.say("unsupported")
    wanted = _wanted_handoff(inbound, heard)
    answering = _bare_answer(text) or _picks_option(flow, current, text)
    if wanted is not None and not inbound.choice_id and answering:
        wanted = None  # "bisa" answers; "telepon saja" says how, it asks for no one
    if Intent.PRICE in heard.intents:
        turn.engage(Engagement.ASKED_PRICE)
        turn.say("price")
    if Intent.BOT_QUESTION in heard.intents and wanted is None:
        turn.say("bot", Choice(closing.HUMAN_CHOICE, flow.text("human_button", turn.language)))
    # the contact of someone else, asked for: not the prospect's own details
    referral = before.pending is not None and before.pending.kind == "referral"
    noted = [] if referral else _fill_from_text(turn, heard, text, current)
    if wanted is not None:
        _hand_off(turn, wanted, noted)
        return
    if before.handoff is not None:
        _after_handoff(turn, text, heard, noted)
        return
    if Intent.NOT_INTERESTED in heard.intents and not _bare_answer(text):
        _close(turn)
        return
    if status in ("completed", "closed"):
        if noted:
            _confirm(turn, noted)
        elif not turn.replies:
            turn.send(closing.again(flow, turn.state(), turn.now))
        return
    if current is None:
        if status == "active" and inbound.command == "start":
            turn.say("welcome_back")
        _ask_next(turn, flow.document.start, noted=noted)
        return
    if before.pending is not None:
        done = _resolve_pending(turn, before.pending, current, text, heard, noted)
        if done is not None:
            if done:
                _ask_next(turn, current.id, noted=noted)
            return
    if Intent.SOMEONE_ELSE in heard.intents and "referral" not in turn.slots:
        role = heard.authority.role if heard.authority else None
        if role not in ("decision_maker", "co_decision_maker"):
            _ask_referral(turn, text, heard, current, noted)
            return
    _answer_current(turn, current, text, heard, noted)


def _bare_answer(text: str) -> bool:
    """ "tidak", "bukan", "ya": an answer to what was asked, not a view on the product."""
    return len(text.split()) <= 2 and parse_yesno(text) is not None


def _language(turn: _Turn, text: str, heard: Extraction) -> None:
    """Switch on request, or when the prospect plainly writes in the other language."""
    switched = language_switch(heard)
    if switched is None and len(text.split()) >= 4 and turn.before.status not in {"new"}:
        written = detect_language(text)
        if written is not None and written != turn.language and _plainly(text, written):
            switched = written
    if switched is not None and switched != turn.language:
        turn.fields["language"] = switched
        turn.switched = True
        turn.say("language")


def _plainly(text: str, language: str) -> bool:
    ours, theirs = word_counts(text)
    if language == "en":
        ours, theirs = theirs, ours
    return ours - theirs >= _LANGUAGE_MARGIN


def _picks_option(flow: Flow, current: Question | None, text: str) -> bool:
    if current is None or current.kind != "choice":
        return False
    return match_choice(text, flow.candidates[current.id]).option_id is not None


def _wanted_handoff(inbound: InboundMessage, heard: Extraction) -> HandoffReason | None:
    """A person or a demo asked for, in words or with a button (a button's label is no
    request: "Telepon / WhatsApp" answers how to be contacted)."""
    if inbound.choice_id is not None:
        buttons: dict[str, HandoffReason] = {
            closing.DEMO_CHOICE: "demo",
            closing.HUMAN_CHOICE: "human",
        }
        return buttons.get(inbound.choice_id)
    if Intent.DEMO in heard.intents:
        return "demo"
    if Intent.HUMAN in heard.intents:
        return "human"
    return None


def _hand_off(turn: _Turn, reason: HandoffReason, noted: list[str]) -> None:
    """A person or a demo asked for: a handoff now, whatever else is known."""
    turn.engage(Engagement.ASKED_DEMO if reason == "demo" else Engagement.WANTS_HUMAN)
    if reason == "demo":
        turn.fields["demo_requested"] = True
    if not turn.consented():
        # asking for a person is consent to be contacted: what they said is kept
        turn.fill("consent", True, turn.inbound.text, None)
        noted = [*noted, *turn.release_held()]
    if noted:
        _confirm(turn, noted)
    if turn.before.handoff is not None:
        # already with sales: the notice now says what they asked for
        turn.fields["handoff"] = reason
        turn.send(closing.again(turn.flow, turn.state(), turn.now))
        return
    turn.fields.update(handoff=reason, pending=None)
    turn.handoff = reason
    turn.say("handoff_demo" if reason == "demo" else "handoff_human")
    if turn.inbound.channel is Channel.WEB and not _reachable(turn):
        # a web chat leaves no way back: how to reach them first (skippable), then who and when
        turn.say("handoff_contact", Choice(SKIP, turn.flow.text("skip", turn.language)))
        turn.fields.update(status="active", current_question=CONTACT)
        return
    _end_handed_off(turn)
    if not _reachable(turn):
        turn.say("contact_after", Choice(SKIP, turn.flow.text("skip", turn.language)))
        turn.fields.update(status="active", current_question=CONTACT)


def _reachable(turn: _Turn) -> bool:
    """Whether the SDR can reach the prospect already (WhatsApp is a phone number)."""
    if turn.inbound.channel is Channel.WHATSAPP:
        return True
    return any(
        slot in turn.slots and turn.slots[slot].status == "filled" for slot in _CONTACT_SLOTS
    )


def _end_handed_off(turn: _Turn) -> None:
    turn.send(closing.contact_promise(turn.flow, turn.state(), turn.now))
    turn.fields.update(status="completed", current_question=None)


def _after_handoff(turn: _Turn, text: str, heard: Extraction, noted: list[str]) -> None:
    """A person has the lead: only the optional contact question is left."""
    if turn.before.current_question == CONTACT:
        got = _take_contact(turn, text, heard) or any(s in _CONTACT_SLOTS for s in noted)
        others = [slot for slot in noted if slot not in _CONTACT_SLOTS]
        if others:
            _confirm(turn, others)
        if not got and others and turn.asked.get(CONTACT, 0) < MAX_ASKS:
            # they added something else: the optional question once more, still skippable
            turn.asked[CONTACT] = turn.asked.get(CONTACT, 1) + 1
            key = "contact_after" if turn.before.handoff == "sql" else "handoff_contact"
            turn.say(key, Choice(SKIP, turn.flow.text("skip", turn.language)))
            return
        if turn.before.handoff == "sql" or turn.inbound.channel is not Channel.WEB:
            # the promise was made with the handoff: only thanks now
            turn.say("contact_thanks" if got else "no_problem")
            turn.fields.update(status="completed", current_question=None)
        else:
            _end_handed_off(turn)
        return
    if noted:
        _confirm(turn, noted)
    elif not turn.replies:
        turn.send(closing.again(turn.flow, turn.state(), turn.now))


def _take_contact(turn: _Turn, text: str, heard: Extraction) -> bool:
    """A phone or an email for the contact question; False when skipped or not given."""
    taken = False
    for slot in _CONTACT_SLOTS:
        value = getattr(heard, slot)
        if value is not None and slot not in turn.slots:
            turn.fill(slot, value.model_dump(mode="json"), text, CONTACT)
            taken = True
    return taken


def _close(turn: _Turn) -> None:
    """No fit: ask nothing more; _finish thanks them."""
    turn.fields.update(status="closed", current_question=None, pending=None)
    turn.ended = True


def _resume(turn: _Turn, current: Question | None) -> None:
    """Back after an opt-out: everything they said is still there; carry on."""
    turn.fields.update(status="active", stage=Stage.LEAD)
    turn.say("resumed")
    if current is not None:
        turn.asked.pop(current.id, None)
    _ask_next(turn, current.id if current else turn.flow.document.start)


def _fill_from_text(
    turn: _Turn, heard: Extraction, text: str, current: Question | None
) -> list[str]:
    """Fill every slot the message speaks to (besides the current question's); the names filled."""
    noted: list[str] = []
    for_someone_else = Intent.SOMEONE_ELSE in heard.intents
    for question in turn.flow.questions.values():
        slot = _EXTRACTED.get(question.kind)
        if question.kind == "text" and question.slot in _NAMED:
            slot = question.slot  # "saya Dewi dari PT Maju" fills the name and the company
        if slot is None or question.slot != slot or (current and current.slot == slot):
            continue
        if for_someone_else and slot in ("name", "phone", "email"):
            continue  # "hubungi Pak Budi 0812...": the other person's, not theirs
        if slot in _NAMED:
            named = getattr(heard, slot)
            if named is not None and named.confidence >= UNSURE and slot not in turn.slots:
                turn.fill(slot, named.value, text, question.id, confidence=named.confidence)
                noted.append(slot)
            continue
        value = getattr(heard, slot)
        if value is None or (slot == "need" and value.level == "unknown"):
            continue
        known = turn.slots.get(slot) or turn.held.get(slot)
        if known is not None and known.status == "filled" and known.confidence > value.confidence:
            continue  # "agen 40 orang, staf 6" does not make an owner staff
        if slot == "budget" and value.ambiguous:
            if turn.fields.get("pending") is None and not turn.before.pending:
                _ask_back_money(turn, question, value.model_dump(mode="json"), text)
            continue
        turn.fill(slot, value.model_dump(mode="json"), text, question.id)
        noted.append(slot)
    return noted


def _answer_current(
    turn: _Turn, current: Question, text: str, heard: Extraction, noted: list[str]
) -> None:
    """The message read as the answer to the question asked, by the confidence policy."""
    inbound = turn.inbound
    if inbound.choice_id == OTHER:
        _give_up(turn, current, text)
        return
    picked = clarified(inbound.choice_id or "", turn.now)
    if picked is not None:
        _take(turn, current, picked[1], text or inbound.choice_id or "", noted, confidence=1.0)
        return
    if current.kind == "money" and Intent.PRICE in heard.intents and not _amount(heard):
        _put_again(turn, current, text)  # the price answered; now their budget
        return
    reply = (
        answer(
            turn.flow,
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
        sure = 1.0 if inbound.choice_id else confidence_of(reply.value, reply.confidence)
        if isinstance(reply.value, dict) and reply.value.get("ambiguous"):
            sure = 1.0  # "1.5M": asked back as which amount, not whether
        if current.slot == "consent":
            _consent(turn, current, reply.value, text, noted)
            return
        # a second reading just as unsure is taken: asking a third time helps nobody
        once = f"{current.id}?"  # confirmed at most once per question
        confirmed = current.kind not in _CONFIRMED or once in turn.asked
        if sure >= SURE or (sure >= UNSURE and confirmed):
            _take(
                turn, current, reply.value, text or inbound.choice_id or "", noted, confidence=sure
            )
            return
        if sure >= UNSURE:
            turn.asked[once] = 1
            _ask_confirm(turn, current, reply.value, text, noted)
            return
    if reply.tied:
        _ask_tie(turn, current, reply.tied)
        return
    if current.slot == "consent" and noted:
        _consent(turn, current, True, text, noted)  # they answered with facts: that is a yes
        return
    if noted or heard.intents - {Intent.GREETING} or inbound.unsupported or inbound.command:
        _ask_next(turn, current.id, noted=noted)  # about something else: ask again
        return
    _put_again(turn, current, text)


def _consent(turn: _Turn, question: Question, given: Any, text: str, noted: list[str]) -> None:
    turn.fill(question.slot, bool(given), text or turn.inbound.choice_id or "", question.id)
    if given:
        noted = [*noted, *turn.release_held()]
    else:
        turn.fields["held"] = {}  # declined: what they said before is not kept
        noted = []
    if noted:
        _confirm(turn, noted)
    if not given:
        _decline(turn, question)
        return
    _ask_next(turn, question.id)


def _decline(turn: _Turn, question: Question) -> None:
    """No to the consent question: the flow's goodbye, and nothing kept or asked."""
    for branch in question.branches:
        if branch.when.attribute == question.slot and branch.when.equals is False and branch.say:
            turn.send(OutboundMessage(branch.say.get(turn.language) or branch.say["en"]))
    turn.fields.update(status="closed", current_question=None)


def _put_again(turn: _Turn, current: Question, text: str) -> None:
    """Nothing usable: ask once more with the likely answers as buttons, or move on."""
    if turn.asked.get(current.id, 0) >= MAX_ASKS:
        _give_up(turn, current, text)
        return
    _put(turn, current)


def _give_up(turn: _Turn, current: Question, text: str) -> None:
    if current.slot == "consent":
        _consent(turn, current, True, text, [])  # still talking after two asks: a yes
        return
    _unanswered(turn, current, text)
    turn.say("move_on")
    _ask_next(turn, current.id)


def _unanswered(turn: _Turn, question: Question, text: str) -> None:
    """Asked twice with no answer: recorded unknown (consent: taken as given, since they
    keep talking to us; a budget after asking our price: they want a quote first)."""
    if question.slot == "consent":
        turn.fill("consent", True, text, question.id)
        turn.release_held()
        return
    if question.kind == "money" and _asked_price(turn):
        quote = Budget(status="unknown_wants_quote", confidence=SURE)
        turn.fill(question.slot, quote.model_dump(mode="json"), text, question.id)
        return
    turn.fill(question.slot, None, text, question.id, unknown=True)


def _asked_price(turn: _Turn) -> bool:
    rule = Engagement.ASKED_PRICE.value
    return any(event.rule_id.endswith(rule) for event in (*turn.before.ledger, *turn.events))


def _amount(heard: Extraction) -> bool:
    return heard.budget is not None and (
        heard.budget.max is not None or heard.budget.min is not None or heard.budget.ambiguous
    )


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
    echo = question.kind in _ECHOED and not turn.inbound.choice_id
    if noted or echo:
        _confirm(turn, [question.slot, *noted])
    _ask_next(turn, question.id)


def _no_buyer(turn: _Turn) -> bool:
    """They told us, surely, that they are not here to buy."""
    found = turn.slots.get("authority")
    return (
        found is not None
        and isinstance(found.value, dict)
        and found.value.get("role") == "not_a_buyer"
        and found.value.get("title") not in _LEARNING  # a student may buy one day
        and found.confidence >= SURE
    )


def _ask_confirm(turn: _Turn, question: Question, value: Any, text: str, noted: list[str]) -> None:
    """An answer read without much confidence: ask them to confirm it (Ya / Tidak)."""
    if noted:
        _confirm(turn, noted)
    shown = describe_slot(question.slot, value, turn.language, question)
    turn.fields["pending"] = Pending(
        kind="confirm", slot=question.slot, question_id=question.id, value=value, raw=text
    )
    turn.say(
        "confirm",
        Choice(PENDING_YES, turn.flow.text("yes", turn.language)),
        Choice(PENDING_NO, turn.flow.text("no", turn.language)),
        value=shown,
    )
    turn.fields["current_question"] = question.id
    turn.fields["last_prompt_at"] = turn.now


def _confirm(turn: _Turn, slots: list[str]) -> None:
    items = [
        describe_slot(
            slot, turn.slots[slot].value, turn.language, turn.flow.question_for_slot(slot)
        )
        for slot in dict.fromkeys(slots)
        if slot in turn.slots and turn.slots[slot].status == "filled"
    ]
    if items:
        turn.say("noted", items=", ".join(items))


def _ask_referral(
    turn: _Turn, text: str, heard: Extraction, current: Question, noted: list[str]
) -> None:
    """Speaking for someone else: their contact if it is here, else ask for it once."""
    if heard.phone is not None or heard.email is not None:
        _take_referral(turn, text, heard)
        _answer_current(turn, current, text, heard, noted)
        return
    reply = answer(turn.flow, current, turn.inbound, text, heard, answered_elsewhere=False)
    if reply.found and current.slot != "consent":
        turn.fill(current.slot, reply.value, text, current.id)
        noted = [current.slot, *noted]
    if noted:
        _confirm(turn, noted)
    turn.fields["pending"] = Pending(
        kind="referral", slot="referral", question_id=current.id, value=None, raw=text
    )
    turn.say("referral_ask", Choice(SKIP, turn.flow.text("skip", turn.language)))
    turn.fields["last_prompt_at"] = turn.now


def _take_referral(turn: _Turn, text: str, heard: Extraction) -> None:
    if turn.inbound.choice_id == SKIP or _SKIP.match(text):
        turn.fill("referral", None, text, None, unknown=True)
        return
    value = {
        "words": " ".join(text.split())[:200],
        "phone": heard.phone.number if heard.phone else None,
        "email": heard.email.address if heard.email else None,
    }
    turn.fill("referral", value, text, None)


def _ask_back_money(turn: _Turn, question: Question, value: dict[str, Any], raw: str) -> None:
    options = tuple(value.get("alternatives") or ())
    if len(options) < 2:
        _put(turn, question)
        return
    turn.fields["pending"] = Pending(
        slot=question.slot, question_id=question.id, value=value, raw=raw, alternatives=options
    )
    _money_buttons(turn, options)
    turn.fields["current_question"] = question.id
    turn.fields["last_prompt_at"] = turn.now


def _money_buttons(turn: _Turn, options: tuple[Any, ...]) -> None:
    a, b = (money(int(x), "IDR", turn.language) for x in options[:2])
    turn.say("ask_back_money", Choice("pending:0", a), Choice("pending:1", b), a=a, b=b)


_BIG = re.compile(r"\b(?:m|miliar|milyar|billion|bn|b)\b")
_SMALL = re.compile(r"\b(?:jt|juta|jeti|million|mio|mn)\b|\d\s?(?:jt|juta)")


def _resolve_pending(
    turn: _Turn,
    pending: Pending,
    current: Question,
    text: str,
    heard: Extraction,
    noted: list[str],
) -> bool | None:
    """Settle what was asked back. True once the slot is filled (or given up on), False
    when asked again; None when the message is a new answer to read as usual."""
    choice = turn.inbound.choice_id
    turn.fields["pending"] = None
    if pending.kind == "referral":
        _take_referral(turn, text, heard)
        return True
    if pending.kind == "confirm":
        said = True if choice == PENDING_YES else False if choice == PENDING_NO else None
        if said is None and text:
            said = parse_yesno(text)
        if said is None and noted:
            # on to something else without a no: what was read back stands
            turn.fill(pending.slot, pending.value, pending.raw, current.id)
            return True
        if said is None:
            return None  # not a yes or a no: read it as a new answer to the question
        if said:
            sure = (
                {**pending.value, "confidence": 1.0}
                if isinstance(pending.value, dict)
                else pending.value
            )
            turn.fill(
                pending.slot, sure, f"{pending.raw} / {text or choice}", current.id, confidence=1.0
            )
            return True
        _put_again(turn, current, text)
        return False
    # which of two amounts: a button, a unit typed ("1 juta", "jt"), or a new amount
    if heard.budget is not None and not heard.budget.ambiguous and heard.budget.max is not None:
        turn.fill(pending.slot, heard.budget.model_dump(mode="json"), text, current.id)
        _confirm(turn, [pending.slot])
        return True
    index: int | None = None
    if choice in {"pending:0", "pending:1"}:
        index = int(choice.split(":")[1])
    else:
        lowered = text.casefold()
        big = [n for n, a in enumerate(pending.alternatives) if int(a) >= 10**9]
        small = [n for n, a in enumerate(pending.alternatives) if int(a) < 10**9]
        if _SMALL.search(lowered) and small:
            index = small[0]
        elif _BIG.search(lowered) and big:
            index = big[0]
    if index is None:
        if turn.before.retries >= 1:
            turn.fields["retries"] = 0
            turn.fill(pending.slot, None, pending.raw, pending.question_id, unknown=True)
            return True
        turn.fields.update(retries=1, pending=pending)
        _money_buttons(turn, pending.alternatives)
        return False
    amount = int(pending.alternatives[index])
    value = dict(pending.value)
    value.update(
        min=amount if value.get("min") is not None else None,
        max=amount,
        ambiguous=False,
        alternatives=[],
        currency="IDR",
    )
    turn.fields["retries"] = 0
    turn.fill(pending.slot, value, f"{pending.raw} / {text or choice}", pending.question_id)
    _confirm(turn, [pending.slot])
    return True


def _ask_tie(turn: _Turn, question: Question, tied: tuple[str, ...]) -> None:
    if turn.asked.get(question.id, 0) >= MAX_ASKS + 1:
        _give_up(turn, question, turn.inbound.text)
        return
    turn.asked[question.id] = turn.asked.get(question.id, 0) + 1
    labels = {o.id: o.label.get(turn.language) or o.label["en"] for o in question.options}
    a, b = (labels.get(option, option) for option in tied[:2])
    turn.say("tie", *(Choice(o, labels.get(o, o)) for o in tied), a=a, b=b)
    turn.fields["last_prompt_at"] = turn.now


def _put(turn: _Turn, question: Question) -> None:
    """Ask `question`: the prompt the first time, the re-ask with buttons the second."""
    times = turn.asked.get(question.id, 0)
    if turn.switched and times:
        times -= 1  # the same question, now in their language: not another attempt
    turn.asked[question.id] = times + 1
    message = prompt(turn.flow, question, turn.language, reask=times >= 1)
    if times >= 1 and not message.choices:
        message = OutboundMessage(
            message.text, clarify_choices(turn.flow, question, turn.language)
        )
    turn.question_at = len(turn.replies)
    if not turn.send(message):
        turn.question_at = None
    turn.fields["current_question"] = question.id
    turn.fields["last_prompt_at"] = turn.now


def _ask_next(turn: _Turn, start: str, *, noted: list[str] | None = None) -> None:
    """Confirm what was heard, then ask the first open question from `start` (or end)."""
    if noted:
        _confirm(turn, noted)
    if turn.fields.get("pending") is not None:
        return
    flow = turn.flow
    if _no_buyer(turn):
        _close(turn)  # a job seeker, a vendor, a wrong number: nothing to ask them
        return
    while True:
        question, said = next_open(flow, set(turn.slots), start, turn.attributes())
        for texts in said:
            turn.send(OutboundMessage(texts.get(turn.language) or texts["en"]))
        if question is None:
            turn.fields.update(status="completed", current_question=None)
            if all(slot.status == "filled" for slot in turn.slots.values()):
                turn.engage(Engagement.COMPLETED)
            turn.ended = True
            return
        if turn.asked.get(question.id, 0) < MAX_ASKS:
            break
        _unanswered(turn, question, "")  # asked twice already
        start = question.id
    turn.fields["retries"] = 0
    _put(turn, question)


def _finish(turn: _Turn) -> StepResult:
    flow, before = turn.flow, turn.before
    if turn.changes and not turn.erase:
        # only answers change fit; a turn that filled no slot cannot move it
        live = {entry.key: entry.points for entry in before.ledger if entry.key}
        changed = {change.slot for change in turn.changes}
        rules = tuple(rule for slot in changed for rule in flow.rules_by_slot.get(slot, ()))
        turn.events.extend(fit_events(rules, turn.attributes(), turn.now, live))
    ledger = () if turn.erase else before.ledger + tuple(turn.events)
    turn.fields.update(ledger=ledger, turns=before.turns + 1, last_inbound_at=turn.inbound.sent_at)
    state = turn.state()
    current = score(state.ledger, turn.now, flow.policy)
    rates = flow.document.scoring.exchange_rates
    change = (
        None
        if turn.erase
        else next_stage(
            state.stage, qualification(state, current.value, turn.now, rates), flow.stage_rules
        )
    )
    if before.status == "opted_out" and state.status == "active":
        change = _resumed_stage(state, current.value, turn.now, flow, before.stage)
    if change is not None:
        state = state.model_copy(update={"stage": change})
    if (
        state.stage is Stage.SQL
        and state.handoff is None
        and state.status in ("active", "completed")
    ):
        state = _sql_handoff(turn, state)
    elif turn.ended and state.handoff is None:
        turn.send(closing.closing(flow, state, turn.now))
    state = state.model_copy(update={"said": turn.fields["said"]})
    return StepResult(
        state=state,
        replies=tuple(turn.replies),
        slot_changes=tuple(turn.changes),
        score_events=tuple(turn.events),
        stage_change=change,
        score=current,
        erase=turn.erase,
        handoff=turn.handoff,
        withdrawn=turn.withdrawn,
    )


def _resumed_stage(
    state: ConversationState, value: int, now: datetime, flow: Flow, was: Stage
) -> Stage | None:
    """Back from an opt-out: the stage the answers earn again."""
    rates = flow.document.scoring.exchange_rates
    earned = next_stage(Stage.LEAD, qualification(state, value, now, rates), flow.stage_rules)
    stage = earned or Stage.LEAD
    return stage if stage is not was else None


def _sql_handoff(turn: _Turn, state: ConversationState) -> ConversationState:
    """Sales-qualified now: hand off at once; the question just put is not asked after all,
    only an optional contact question when there is no way to reach them yet."""
    if turn.question_at is not None:
        del turn.replies[turn.question_at]
    turn.handoff = "sql"
    state = state.model_copy(update={"handoff": "sql", "pending": None})
    turn.send(closing.contact_promise(turn.flow, state, turn.now))
    if _reachable(turn):
        return state.model_copy(update={"status": "completed", "current_question": None})
    turn.fields["said"] = state.said
    turn.say("contact_after", Choice(SKIP, turn.flow.text("skip", turn.language)))
    return state.model_copy(update={"status": "active", "current_question": CONTACT})


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
