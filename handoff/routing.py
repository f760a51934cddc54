"""Choosing the SDR for a handoff (pure): round robin among active SDRs."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SdrCandidate:
    """An SDR as routing sees them."""

    id: int
    active: bool
    last_assigned_at: datetime | None


def choose_sdr(sdrs: Sequence[SdrCandidate]) -> SdrCandidate | None:
    """The active SDR assigned least recently (never assigned first); None when nobody is active."""
    active = [sdr for sdr in sdrs if sdr.active]
    if not active:
        return None
    return min(active, key=lambda s: (s.last_assigned_at is not None, s.last_assigned_at, s.id))
