from datetime import UTC, datetime

from scoring import Engagement, EventKind, FitRule, engagement_event, fit_events

NOW = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)


def test_fit_rule_ranges_are_half_open() -> None:
    rule = FitRule(id="mid", attribute="budget.max", points=10, reason="mid", min=10, max=20)

    assert [rule.matches(v) for v in (9, 10, 19.9, 20, None)] == [False, True, True, False, False]


def test_fit_rule_equality_ignores_case() -> None:
    rule = FitRule(id="r", attribute="industry", points=5, reason="retail", equals="Retail")

    assert rule.matches("retail")


def test_fit_events_give_zero_points_when_a_rule_stops_matching() -> None:
    rule = FitRule(id="big", attribute="size", points=10, reason="big", min=100)

    events = fit_events((rule,), {"size": 5}, NOW)

    assert [(e.key, e.points, e.kind) for e in events] == [("fit:big", 0, EventKind.FIT)]


def test_engagement_rule_without_points_gives_no_event() -> None:
    assert engagement_event(Engagement.READ, NOW, {Engagement.READ: 0}) is None


def test_opt_out_is_negative_engagement() -> None:
    event = engagement_event(Engagement.OPTED_OUT, NOW)

    assert event is not None
    assert (event.points, event.kind) == (-50, EventKind.ENGAGEMENT)
