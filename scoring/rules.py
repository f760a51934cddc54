"""Scoring rules: fit rules on lead attributes and engagement rules on behaviour."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from scoring.events import EventKind, ScoreEvent

Attribute = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class FitRule:
    """Points when one attribute matches: equals a value, is one of several, or is in [min, max).

    This is also the format `qualibot calibrate --write` produces, so learned and hand-set
    points are read, reviewed and merged the same way.
    """

    id: str
    attribute: str
    points: int
    reason: str
    equals: Attribute = None
    one_of: tuple[Attribute, ...] = ()
    min: float | None = None
    max: float | None = None

    def matches(self, value: Attribute) -> bool:
        """Whether the attribute's value earns these points (a missing value never does)."""
        if value is None:
            return False
        if self.equals is not None:
            return _same(value, self.equals)
        if self.one_of:
            return any(_same(value, option) for option in self.one_of)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.min is not None and value < self.min:
            return False
        return not (self.max is not None and value >= self.max)


def _same(value: Attribute, expected: Attribute) -> bool:
    if isinstance(value, str) and isinstance(expected, str):
        return value.casefold() == expected.casefold()
    return value == expected


def fit_events(
    rules: tuple[FitRule, ...],
    attributes: Mapping[str, Attribute],
    at: datetime,
    live: Mapping[str, int] | None = None,
) -> list[ScoreEvent]:
    """Fit events for the rules whose points differ from `live` (key -> points in force).

    Events are keyed per rule, so a corrected answer replaces the earlier points; a rule that
    stops matching gives a 0-point event. Without `live`, every rule gives its event.
    """
    events = []
    for rule in rules:
        points = rule.points if rule.matches(attributes.get(rule.attribute)) else 0
        key = f"fit:{rule.id}"
        if live is not None and live.get(key, 0) == points:
            continue
        events.append(ScoreEvent(at, rule.id, rule.reason, points, EventKind.FIT, key))
    return events


class Engagement(StrEnum):
    """Behaviour worth points, whatever the answers were."""

    ANSWERED_FAST = "answered_fast"
    COMPLETED = "completed"
    ASKED_PRICE = "asked_price"
    ASKED_DEMO = "asked_demo"
    WANTS_HUMAN = "wants_human"
    READ = "read"
    WENT_SILENT = "went_silent"
    OPTED_OUT = "opted_out"


DEFAULT_ENGAGEMENT_POINTS: Mapping[Engagement, int] = {
    Engagement.ANSWERED_FAST: 2,
    Engagement.COMPLETED: 10,
    Engagement.ASKED_PRICE: 10,
    Engagement.ASKED_DEMO: 15,
    Engagement.WANTS_HUMAN: 10,
    Engagement.READ: 1,
    Engagement.WENT_SILENT: -10,
    Engagement.OPTED_OUT: -50,
}

ENGAGEMENT_REASONS: Mapping[Engagement, str] = {
    Engagement.ANSWERED_FAST: "answered within 5 minutes",
    Engagement.COMPLETED: "answered every question",
    Engagement.ASKED_PRICE: "asked about price",
    Engagement.ASKED_DEMO: "asked for a demo",
    Engagement.WANTS_HUMAN: "asked to talk to sales",
    Engagement.READ: "read our message",
    Engagement.WENT_SILENT: "went silent",
    Engagement.OPTED_OUT: "opted out",
}


def engagement_event(
    rule: Engagement, at: datetime, points: Mapping[Engagement, int] = DEFAULT_ENGAGEMENT_POINTS
) -> ScoreEvent | None:
    """The event for one engagement signal, or None when the flow gives it no points."""
    value = points.get(rule, 0)
    if not value:
        return None
    return ScoreEvent(
        at=at,
        rule_id=f"engagement.{rule.value}",
        reason=ENGAGEMENT_REASONS[rule],
        points=value,
        kind=EventKind.ENGAGEMENT,
        # one-off signals count once per conversation; repeated ones (read, fast) accumulate
        key="" if rule in {Engagement.ANSWERED_FAST, Engagement.READ} else f"eng:{rule.value}",
    )
