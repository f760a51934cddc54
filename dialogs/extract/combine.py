"""Grammars and classifiers together: a grammar's hit wins when it is sure, a classifier
decides the rest, and every value carries its confidence.

* Budget and timeline have structure: an amount or a date the grammars parse is taken as
  found. Without one, the classifier reads the status ("tergantung penawaran", "belum ada
  rencana"), and so does a grammar status phrase when the classifier is unsure.
* Authority and need have none: the classifier decides the role, the decision process and
  the need level; the grammars add what they parse (the title, the approver, an approval
  limit, the use case and quantities). A bare title the classifier cannot place reads as
  LABELS.md says (owner, founder, director: decision maker; manager, head, staff:
  influencer; purchasing: gatekeeper).
* When the question just asked is about the slot, the classifier's best label is taken.
  Otherwise only a confident one (OFF_TOPIC) in a reply that says something (SAYS_SOMETHING
  words; a budget or timeline status also needs a word of its topic, lexicon.yaml): "belum
  ada" answers the question asked, not every other one.
"""

from typing import Final, cast

from dialogs.extract.classifier import Reading
from dialogs.slots import (
    Authority,
    Budget,
    BudgetStatus,
    DecisionProcess,
    Need,
    NeedLevel,
    Role,
    Timeline,
    TimelineBucket,
)

OFF_TOPIC: Final = 0.7  # a classifier's label for a slot nobody asked about needs this much
SAYS_SOMETHING: Final = 3  # words in a reply before it may fill a slot nobody asked about
GRAMMAR_SURE: Final = 0.95  # an amount or a date read from its own words
GRAMMAR_STATUS: Final = 0.6  # a grammar's status phrase the classifier did not confirm
TITLE_ONLY: Final = 0.55  # a bare title, placed by the table in LABELS.md
# LABELS.md: a bare title with nothing about the decision.
_TITLE_ROLES: Final[dict[str, Role]] = {
    "owner": "decision_maker",
    "founder": "decision_maker",
    "ceo": "decision_maker",
    "cto": "decision_maker",
    "cfo": "decision_maker",
    "coo": "decision_maker",
    "cmo": "decision_maker",
    "cio": "decision_maker",
    "president director": "decision_maker",
    "director": "decision_maker",
    "general manager": "influencer",  # a manager: someone above approves
    "vice president": "influencer",
    "head of procurement": "gatekeeper",
    "procurement manager": "gatekeeper",
}


# Labels that close a door ("no need", "not a buyer"): not read from a reply to another
# question unless it says so at length ("ga ada kak" answers the size question, not the need)
_CLOSING_LABELS: Final = frozenset({"none", "not_a_buyer", "no_budget", "no_plan"})
CLOSING_WORDS: Final = 6


def accepted(
    reading: Reading, *, asked: bool, about: bool = True, words: int = SAYS_SOMETHING
) -> str | None:
    """The classifier's label if it may be taken here, else None. `about`: the reply is about
    this slot at all (long enough, or naming its topic), which a slot not asked needs."""
    if reading.label is None:
        return None
    if asked:
        return reading.label
    if reading.label in _CLOSING_LABELS and words < CLOSING_WORDS:
        return None
    if about and reading.confidence >= OFF_TOPIC:
        return reading.label
    return None


def budget(
    grammar: Budget | None, reading: Reading, *, asked: bool, about: bool, words: int = 0
) -> Budget | None:
    """An amount the grammar read; else the status the classifier (or the grammar) read."""
    if grammar is not None and (grammar.min is not None or grammar.max is not None):
        return grammar.model_copy(update={"confidence": GRAMMAR_SURE})
    if grammar is not None and grammar.ambiguous:
        return grammar.model_copy(update={"confidence": 0.5})
    label = accepted(reading, asked=asked, about=about, words=words)
    if label is not None:
        status = cast(BudgetStatus, label)  # the model's labels are the Literal's
        return Budget(status=status, confidence=round(reading.confidence, 3))
    if grammar is not None:
        return grammar.model_copy(update={"confidence": GRAMMAR_STATUS})
    return None


def timeline(
    grammar: Timeline | None, reading: Reading, *, asked: bool, about: bool, words: int = 0
) -> Timeline | None:
    """A date or window the grammar read; else the status the classifier read."""
    if grammar is not None and grammar.start is not None:
        sure = GRAMMAR_SURE if grammar.bucket != "needs_clarification" else GRAMMAR_STATUS
        return grammar.model_copy(update={"confidence": sure})
    label = accepted(reading, asked=asked, about=about, words=words)
    if label is not None:
        bucket = cast(TimelineBucket, label)
        return Timeline(bucket=bucket, confidence=round(reading.confidence, 3))
    if grammar is not None:
        return grammar.model_copy(update={"confidence": GRAMMAR_STATUS})
    return None


def authority(
    grammar: Authority | None,
    role: Reading,
    process: Reading,
    *,
    asked: bool,
    about: bool,
    words: int = 0,
) -> Authority | None:
    """The classifier's role and process, with the title and approver the grammar read."""
    label = accepted(role, asked=asked, about=about, words=words)
    how = accepted(process, asked=asked, about=about)
    decided = cast(DecisionProcess | None, how)
    if label is None:
        # the grammar reads a title only when it is the speaker's ("saya GM", "Budi, CFO")
        title = grammar.title if grammar is not None else None
        if title is None:
            return None
        return Authority(
            role=_TITLE_ROLES.get(title, "influencer"),
            decision_process=decided or (grammar.decision_process if grammar else None),
            approver=grammar.approver if grammar else None,
            title=title,
            approval_limit=grammar.approval_limit if grammar else None,
            confidence=TITLE_ONLY,
        )
    chosen = cast(Role, label)
    if grammar is not None and decided is None:
        decided = grammar.decision_process
    return Authority(
        role=chosen,
        decision_process=decided,
        approver=grammar.approver if grammar else None,
        title=grammar.title if grammar else None,
        approval_limit=grammar.approval_limit if grammar else None,
        confidence=round(role.confidence, 3),
    )


def need(
    grammar: Need | None, reading: Reading, *, asked: bool, about: bool, words: int = 0
) -> Need | None:
    """The classifier's need level, with the use case, pain and quantities the grammar read."""
    label = accepted(reading, asked=asked, about=about, words=words)
    if label is None:
        return None
    level = cast(NeedLevel, label)
    if grammar is None:
        return Need(level=level, confidence=round(reading.confidence, 3))
    return grammar.model_copy(update={"level": level, "confidence": round(reading.confidence, 3)})
