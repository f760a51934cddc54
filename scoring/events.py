"""ScoreEvent: one row of the score ledger."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class EventKind(StrEnum):
    """Fit counts in full; engagement decays with age."""

    FIT = "fit"
    ENGAGEMENT = "engagement"


@dataclass(frozen=True, slots=True)
class ScoreEvent:
    """Points given or taken, when and why (rule id plus a readable reason)."""

    at: datetime
    rule_id: str
    reason: str
    points: int
    kind: EventKind
    # A later event with the same key voids earlier ones (a corrected answer).
    key: str = ""
