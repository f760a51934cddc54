"""The score, derived from the ledger: fit in full, engagement decayed, clamped to 0..100."""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol, TypeVar

from scoring.bands import Band, BandThresholds, band_of
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


class Score:
    """A lead's score with its band and the reasons behind it.

    `lines` are built on first use: every message is scored (value and band), but only a
    handoff summary or a console shows the reasons, so the per-message path skips building
    a ScoreLine for every live event (~6% of a turn's CPU before).
    """

    __slots__ = ("_lines", "_live", "_worths", "band", "value")

    def __init__(
        self,
        value: int,
        band: Band,
        lines: tuple[ScoreLine, ...] | None = None,
        *,
        live: Sequence[Entry] = (),
        worths: Sequence[float] = (),
    ) -> None:
        self.value = value
        self.band = band
        self._lines = lines
        # without `lines`: the live events and what each is worth now, as score() summed them
        self._live, self._worths = live, worths

    @property
    def lines(self) -> tuple[ScoreLine, ...]:
        """One line per live event, in the order they happened."""
        if self._lines is None:
            self._lines = tuple(
                ScoreLine(event.rule_id, event.reason, event.points, worth, event.kind, event.at)
                for event, worth in zip(self._live, self._worths, strict=True)
            )
        return self._lines

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Score):
            return NotImplemented
        return (self.value, self.band, self.lines) == (other.value, other.band, other.lines)

    def __hash__(self) -> int:
        return hash((self.value, self.band, self.lines))

    def __repr__(self) -> str:
        return f"Score(value={self.value!r}, band={self.band!r}, lines={self.lines!r})"

    def explain(self) -> list[str]:
        """Readable reasons, biggest effect first."""
        if self._lines is not None:
            pairs = [(line.worth, line.reason) for line in self._lines]
        else:  # the same pairs in the same order, without building the lines
            pairs = [(w, e.reason) for e, w in zip(self._live, self._worths, strict=True)]
        ordered = sorted(pairs, key=lambda pair: -abs(pair[0]))
        return [f"{worth:+.0f} {reason}" for worth, reason in ordered if round(worth)]


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


_ZERO: Final = timedelta(0)


def score(events: Iterable[Entry], now: datetime, policy: ScorePolicy = ScorePolicy()) -> Score:
    """Fit points count in full; engagement points halve every half-life; clamp to 0..100."""
    live = live_events(events)
    half_life = policy.half_life
    decays = half_life > _ZERO
    total = float(policy.base)
    # scoring.decay.decayed inlined, the same arithmetic (every message scores every live
    # event); the worths are kept for the explanation, which only summaries and consoles read.
    engagement = EventKind.ENGAGEMENT
    worths: list[float] = []
    for event in live:
        worth = float(event.points)
        if event.kind is engagement and decays:
            age = now - event.at
            if age > _ZERO:
                worth = worth * math.exp2(-(age / half_life))
        worths.append(worth)
        total += worth
    value = max(MIN_SCORE, min(MAX_SCORE, round(total)))
    return Score(value, band_of(value, policy.thresholds), live=live, worths=worths)
