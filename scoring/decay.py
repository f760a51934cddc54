"""Engagement decay: points halve every `half_life`."""

import math
from datetime import timedelta


def decayed(points: float, age: timedelta, half_life: timedelta) -> float:
    """Points left after `age`; events from the future count in full."""
    if age <= timedelta(0) or half_life <= timedelta(0):
        return points
    return points * math.exp2(-(age / half_life))
