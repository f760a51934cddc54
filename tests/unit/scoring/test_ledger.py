from datetime import UTC, datetime, timedelta

import pytest

from scoring import (
    Band,
    BandThresholds,
    EventKind,
    ScoreEvent,
    ScorePolicy,
    band_of,
    decayed,
    score,
)

NOW = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def fit(points: int, key: str = "", at: datetime = NOW) -> ScoreEvent:
    return ScoreEvent(at, f"fit.{points}", f"fit {points}", points, EventKind.FIT, key)


def engagement(points: int, age: timedelta) -> ScoreEvent:
    return ScoreEvent(NOW - age, "eng", "engaged", points, EventKind.ENGAGEMENT)


@pytest.mark.parametrize(
    ("age", "expected"),
    [(timedelta(0), 40.0), (WEEK, 20.0), (2 * WEEK, 10.0), (4 * WEEK, 2.5)],
)
def test_engagement_halves_every_half_life(age: timedelta, expected: float) -> None:
    assert decayed(40, age, WEEK) == pytest.approx(expected)


def test_events_from_the_future_count_in_full() -> None:
    assert decayed(10, -timedelta(hours=1), WEEK) == 10


def test_fit_counts_in_full_and_engagement_decays() -> None:
    policy = ScorePolicy(half_life=WEEK)

    result = score([fit(30, at=NOW - 10 * WEEK), engagement(20, WEEK)], NOW, policy)

    assert result.value == 40


def test_score_is_clamped_to_0_100() -> None:
    assert score([fit(70), fit(60)], NOW).value == 100
    assert score([fit(10), fit(-50)], NOW).value == 0


def test_negative_points_lower_the_score() -> None:
    assert score([fit(60), fit(-15)], NOW).value == 45


def test_a_corrected_answer_replaces_its_earlier_points() -> None:
    events = [fit(20, key="fit:budget"), fit(5, key="fit:budget")]

    assert score(events, NOW).value == 5


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (100, Band.HOT),
        (80, Band.HOT),
        (79, Band.WARM),
        (50, Band.WARM),
        (49, Band.COLD),
        (0, Band.COLD),
    ],
)
def test_bands_follow_thresholds(value: int, band: Band) -> None:
    assert band_of(value) == band


def test_band_thresholds_are_configurable() -> None:
    assert band_of(70, BandThresholds(hot=70, warm=40)) == Band.HOT


def test_every_score_is_explained_biggest_first() -> None:
    result = score([fit(10), fit(-25), fit(40)], NOW)

    assert result.explain() == ["+40 fit 40", "-25 fit -25", "+10 fit 10"]
