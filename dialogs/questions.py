"""Per-kind behaviour of a question: its prompt, and whether a message answers it."""

from dataclasses import dataclass
from typing import Any

from dialogs.extract import Extraction, match_choice, parse_number, parse_yesno
from dialogs.flow.flow import Flow
from dialogs.flow.schema import Question
from dialogs.messages import Choice, InboundMessage, OutboundMessage
from dialogs.slots import Need

MAX_TEXT_ANSWER = 200
YES_ID, NO_ID = "yes", "no"


@dataclass(frozen=True, slots=True)
class Answer:
    """What a message said to the current question: a value, a tie to ask back, or nothing."""

    value: Any = None
    tied: tuple[str, ...] = ()
    confidence: float | None = None  # None: the value says (a reading dump), or sure

    @property
    def found(self) -> bool:
        return self.value is not None


NOTHING = Answer()


def prompt(
    flow: Flow, question: Question, language: str, *, reask: bool = False
) -> OutboundMessage:
    """The question's text and buttons in the prospect's language."""
    texts = question.reask if reask and question.reask else question.prompt
    text = texts.get(language) or texts["en"]
    return OutboundMessage(text=text, choices=choices(flow, question, language))


def choices(flow: Flow, question: Question, language: str) -> tuple[Choice, ...]:
    if question.kind == "yesno":
        return (
            Choice(YES_ID, flow.text("yes", language)),
            Choice(NO_ID, flow.text("no", language)),
        )
    return tuple(Choice(o.id, o.label.get(language) or o.label["en"]) for o in question.options)


def _clean_text(text: str) -> str:
    return " ".join(text.split())[:MAX_TEXT_ANSWER].strip(" .,!") or text


def _choice(flow: Flow, question: Question, inbound: InboundMessage, text: str) -> Answer:
    ids = {o.id for o in question.options}
    if inbound.choice_id in ids:
        return Answer(inbound.choice_id)
    if not text:
        return NOTHING
    match = match_choice(text, flow.candidates[question.id])
    if match.option_id is not None:
        return Answer(match.option_id)
    if match.tied:
        return Answer(tied=match.tied)
    number = parse_number(text)
    if number is not None and any(
        o.min is not None or o.max is not None for o in question.options
    ):
        for option in question.options:
            low = option.min if option.min is not None else float("-inf")
            high = option.max if option.max is not None else float("inf")
            if low <= number < high:
                return Answer(option.id)
    return NOTHING


def answer(
    flow: Flow,
    question: Question,
    inbound: InboundMessage,
    text: str,
    heard: Extraction,
    *,
    answered_elsewhere: bool,
) -> Answer:
    """Whether this message answers `question` (`answered_elsewhere`: it filled other slots)."""
    kind = question.kind
    if kind == "choice":
        return _choice(flow, question, inbound, text)
    if kind == "yesno":
        if inbound.choice_id in {YES_ID, NO_ID}:
            return Answer(inbound.choice_id == YES_ID)
        said = parse_yesno(text)
        return NOTHING if said is None else Answer(said)
    if kind == "money":
        return NOTHING if heard.budget is None else Answer(heard.budget.model_dump(mode="json"))
    if kind == "timeline":
        return (
            NOTHING if heard.timeline is None else Answer(heard.timeline.model_dump(mode="json"))
        )
    if kind == "role":
        found = heard.authority
        return NOTHING if found is None else Answer(found.model_dump(mode="json"))
    if kind == "need":
        return _need(flow, question, inbound, text, heard, answered_elsewhere=answered_elsewhere)
    if kind == "email":
        return NOTHING if heard.email is None else Answer(heard.email.model_dump(mode="json"))
    if kind == "phone":
        return NOTHING if heard.phone is None else Answer(heard.phone.model_dump(mode="json"))
    if kind == "number":
        number = parse_number(text)
        if number is None:
            return NOTHING
        if (question.min is not None and number < question.min) or (
            question.max is not None and number > question.max
        ):
            return NOTHING
        return Answer(int(number) if number.is_integer() else number)
    if question.slot in ("name", "company"):
        # read by dialogs.extract.names: never a filler, a question or a sentence
        named = heard.name if question.slot == "name" else heard.company
        return NOTHING if named is None else Answer(named.value, confidence=named.confidence)
    # other free text: anything with letters, unless the message was about something else
    # (an intent or another slot) rather than an answer to this question
    if answered_elsewhere or not any(ch.isalpha() for ch in text):
        return NOTHING
    return Answer(_clean_text(text))


def _need(
    flow: Flow,
    question: Question,
    inbound: InboundMessage,
    text: str,
    heard: Extraction,
    *,
    answered_elsewhere: bool,
) -> Answer:
    picked = _choice(flow, question, inbound, text) if question.options else NOTHING
    level = heard.need.level if heard.need is not None else "unknown"
    if picked.found:
        known = level if level != "unknown" else "medium"
        need = heard.need or Need()
        return Answer(
            need.model_copy(update={"level": known, "use_case": picked.value}).model_dump(
                mode="json"
            )
        )
    if heard.need is not None and level != "unknown":
        return Answer(heard.need.model_dump(mode="json"))
    if picked.tied:
        return picked  # "follow up" names two options and says nothing more: which one?
    if question.free_text and not answered_elsewhere and sum(c.isalpha() for c in text) >= 3:
        # a problem told in their own words is a clear need, even if no keyword matched
        pain = " ".join(text.split())[:MAX_TEXT_ANSWER]
        return Answer(Need(level="medium", pain=pain).model_dump(mode="json"))
    return NOTHING
