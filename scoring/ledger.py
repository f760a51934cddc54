"""The score, derived from the ledger: fit in full, engagement decayed, clamped to 0..100."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from scoring.bands import Band, BandThresholds, band_of
from scoring.decay import decayed
from scoring.events import EventKind


class Entry(Protocol):
    """Anything shaped like a ScoreEvent (the dialog state keeps its ledger as JSON models)."""

    @property
    def at(self) -> datetime: ...
    @property
    def rule_id(self) -> str: ...
    @property
    def reason(self) -> str: ...
    @property
    def points(self) -> int: ...
    @property
    def kind(self) -> EventKind: ...
    @property
    def key(self) -> str: ...


E = TypeVar("E", bound=Entry)

MIN_SCORE, MAX_SCORE = 0, 100


@dataclass(frozen=True, slots=True)
class ScorePolicy:
    """How the ledger turns into a number."""

    half_life: timedelta = timedelta(days=14)
    base: int = 0
    thresholds: BandThresholds = BandThresholds()


@dataclass(frozen=True, slots=True)
class ScoreLine:
    """One reason in a score explanation: the event and what it is worth now."""

    rule_id: str
    reason: str
    points: int
    worth: float
    kind: EventKind
    at: datetime


@dataclass(frozen=True, slots=True)
class Score:
    """A lead's score with its band and the reasons behind it."""

    value: int
    band: Band
    lines: tuple[ScoreLine, ...]

    def explain(self) -> list[str]:
        """Readable reasons, biggest effect first."""
        ordered = sorted(self.lines, key=lambda line: -abs(line.worth))
        return [f"{line.worth:+.0f} {line.reason}" for line in ordered if round(line.worth)]


def live_events(events: Iterable[E]) -> list[E]:
    """Events still in force: for a keyed rule only the latest counts (answers get corrected)."""
    latest: dict[str, E] = {}
    unkeyed: list[E] = []
    for event in events:
        if event.key:
            latest[event.key] = event
        else:
            unkeyed.append(event)
    return sorted([*unkeyed, *latest.values()], key=lambda e: e.at)


def score(events: Iterable[Entry], now: datetime, policy: ScorePolicy = ScorePolicy()) -> Score:
    """Fit points count in full; engagement points halve every half-life; clamp to 0..100."""
    lines: list[ScoreLine] = []
    total = float(policy.base)
    for event in live_events(events):
        worth = float(event.points)
        if event.kind is EventKind.ENGAGEMENT:
            worth = decayed(worth, now - event.at, policy.half_life)
        total += worth
        lines.append(
            ScoreLine(event.rule_id, event.reason, event.points, worth, event.kind, event.at)
        )
    value = max(MIN_SCORE, min(MAX_SCORE, round(total)))
    return Score(value, band_of(value, policy.thresholds), tuple(lines))
