"""Bands: Hot, Warm and Cold, from configurable thresholds."""

from dataclasses import dataclass
from enum import StrEnum


class Band(StrEnum):
    """How ready a lead is, as sales reads it."""

    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


@dataclass(frozen=True, slots=True)
class BandThresholds:
    """Hot at or above `hot`, Warm at or above `warm`, Cold below."""

    hot: int = 80
    warm: int = 50


def band_of(score: int, thresholds: BandThresholds = BandThresholds()) -> Band:
    """The band a score falls in."""
    if score >= thresholds.hot:
        return Band.HOT
    if score >= thresholds.warm:
        return Band.WARM
    return Band.COLD
