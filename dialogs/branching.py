"""Which question comes next: branches, `next`, `skip_if`, and skipping filled slots."""

from collections.abc import Mapping

from dialogs.flow.checks import END
from dialogs.flow.flow import Flow
from dialogs.flow.schema import Condition, Question
from scoring import Attribute, FitRule


def holds(condition: Condition, attributes: Mapping[str, Attribute], filled: set[str]) -> bool:
    """Whether a branch or skip condition is true for these attributes."""
    if condition.filled is not None:
        return (condition.attribute.split(".")[0] in filled) == condition.filled
    probe = FitRule(
        id="condition",
        attribute=condition.attribute,
        points=0,
        reason="",
        equals=condition.equals,
        one_of=condition.one_of,
        min=condition.min,
        max=condition.max,
    )
    return probe.matches(attributes.get(condition.attribute))


def following(
    flow: Flow, question: Question, attributes: Mapping[str, Attribute], filled: set[str]
) -> tuple[str, Mapping[str, str] | None]:
    """The id after `question` (or END), with what to say when a branch says something."""
    for branch in question.branches:
        if holds(branch.when, attributes, filled):
            return branch.goto, branch.say
    if question.next is not None:
        return question.next, None
    index = flow.order.index(question.id)
    return (flow.order[index + 1] if index + 1 < len(flow.order) else END), None


def next_open(
    flow: Flow,
    filled: set[str],
    start: str,
    attributes: Mapping[str, Attribute],
) -> tuple[Question | None, list[Mapping[str, str]]]:
    """Walk from `start` past answered and skipped questions to the first one still open.

    `filled` names the slots that have an answer. Returns the question (None at the end) and
    what branches taken on the way want said.
    """
    said: list[Mapping[str, str]] = []
    current = start
    for _ in range(len(flow.order) + 1):  # checks.py guarantees a path to the end
        if current == END:
            return None, said
        question = flow.questions[current]
        skip = question.skip_if is not None and holds(question.skip_if, attributes, filled)
        if question.slot not in filled and not skip:
            return question, said
        current, say = following(flow, question, attributes, filled)
        if say is not None:
            said.append(say)
    return None, said
