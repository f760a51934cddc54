"""Routing and SLA timing (pure): who gets the next lead, and how long an SDR has waited."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from handoff.routing import BadWorkHours, choose_sdr, is_working, parse_hours, working_time
from handoff.sla import SlaPolicy, due_step
from storage.handoffs import Handoff
from storage.sdrs import Sdr

# 03:00 UTC = 10:00 WIB = 11:00 WITA = 12:00 WIT
NOW = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)


def sdr(sdr_id: int, **changes: object) -> Sdr:
    base = Sdr(sdr_id, f"SDR {sdr_id}", str(sdr_id), None, True, None, NOW)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_round_robin_gives_the_lead_to_whoever_waited_longest() -> None:
    first = sdr(1, last_assigned_at=NOW - timedelta(minutes=1))
    second = sdr(2, last_assigned_at=NOW - timedelta(minutes=9))

    chosen = choose_sdr([(first, 0), (second, 0)], language="id", now=NOW)

    assert chosen == second


def test_away_out_of_hours_full_or_other_language_sdrs_are_passed_over() -> None:
    away = sdr(1, available=False)
    asleep = sdr(2, work_hours="13:00-17:00")  # 10:00 WIB now
    full = sdr(3, capacity=2)
    english = sdr(4, languages="en")
    ready = sdr(5, languages="id,en", zone="WIT", work_hours="08:00-17:00")

    chosen = choose_sdr(
        [(away, 0), (asleep, 0), (full, 2), (english, 0), (ready, 0)], language="id", now=NOW
    )

    assert chosen == ready


def test_when_nobody_fits_an_sdr_who_is_not_away_still_gets_it() -> None:
    asleep = sdr(1, work_hours="13:00-17:00")
    away = sdr(2, available=False)

    assert choose_sdr([(asleep, 0), (away, 0)], language="id", now=NOW) == asleep
    assert choose_sdr([(away, 0)], language="id", now=NOW) is None


def test_working_hours_are_read_in_the_sdrs_zone() -> None:
    assert is_working(sdr(1, zone="WIB", work_hours="08:00-10:30"), NOW)
    assert not is_working(sdr(1, zone="WIT", work_hours="08:00-10:30"), NOW)


def test_sla_time_counts_only_working_hours() -> None:
    # 16:58 WIB assigned; the day ends at 17:00; the next starts at 08:00
    late = sdr(1, work_hours="08:00-17:00")
    assigned = datetime(2026, 5, 13, 9, 58, tzinfo=UTC)

    waited = working_time(late, assigned, assigned + timedelta(hours=15, minutes=5))

    assert waited == timedelta(minutes=5)


def test_bad_working_hours_say_what_is_expected() -> None:
    with pytest.raises(BadWorkHours, match="HH:MM-HH:MM"):
        parse_hours("9 to 5")


def test_reminder_at_once_the_time_and_reassignment_at_twice() -> None:
    handoff = Handoff(
        "h1", "l1", NOW, {}, 1, "open", None, None, None, NOW, None, assigned_at=NOW, assignment=1
    )
    policy = SlaPolicy()

    steps = [due_step(handoff, sdr(1), NOW + timedelta(minutes=m), policy) for m in (4, 6, 11)]

    assert steps == [None, "remind", "reassign"]
