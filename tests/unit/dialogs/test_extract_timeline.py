"""Timelines: calendar windows in Asia/Jakarta against an injected `now`, and their buckets."""

from datetime import UTC, date, datetime

import pytest

from dialogs.extract import extract_timeline
from dialogs.extract.dates import add_months, bucket_of, today_in_jakarta
from dialogs.slots import Timeline

NOW = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)  # Wednesday 13 May 2026, 10:00 in Jakarta
TODAY = date(2026, 5, 13)


def test_today_is_the_jakarta_date_not_the_utc_date() -> None:
    late_evening_utc = datetime(2026, 5, 13, 18, 0, tzinfo=UTC)  # 01:00 on the 14th in Jakarta

    assert today_in_jakarta(late_evening_utc) == date(2026, 5, 14)


def test_add_months_clamps_to_the_last_day() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


@pytest.mark.parametrize(
    ("start", "bucket"),
    [
        (date(2026, 5, 27), "immediate_<=2w"),
        (date(2026, 6, 13), "<=1m"),
        (date(2026, 8, 13), "1-3m"),
        (date(2026, 11, 13), "3-6m"),
        (date(2027, 5, 13), "6-12m"),
        (date(2027, 5, 14), ">12m"),
    ],
)
def test_bucket_edges_are_inclusive(start: date, bucket: str) -> None:
    assert bucket_of(start, TODAY) == bucket


def test_next_month_is_the_whole_calendar_month() -> None:
    assert extract_timeline("bulan depan", now=NOW) == Timeline(
        start=date(2026, 6, 1), end=date(2026, 6, 30), bucket="<=1m"
    )


def test_quarter_is_a_calendar_window() -> None:
    assert extract_timeline("Q3", now=NOW) == Timeline(
        start=date(2026, 7, 1), end=date(2026, 9, 30), bucket="1-3m"
    )


def test_current_quarter_starts_today() -> None:
    assert extract_timeline("kuartal 2", now=NOW) == Timeline(
        start=TODAY, end=date(2026, 6, 30), bucket="immediate_<=2w"
    )


def test_bare_past_quarter_means_next_year() -> None:
    august = datetime(2026, 8, 10, 3, 0, tzinfo=UTC)

    assert extract_timeline("Q1", now=august) == Timeline(
        start=date(2027, 1, 1), end=date(2027, 3, 31), bucket="3-6m"
    )


def test_quarter_with_a_past_year_needs_clarification() -> None:
    timeline = extract_timeline("Q1 2025", now=NOW)

    assert timeline is not None
    assert timeline.bucket == "needs_clarification"


def test_a_lebaran_already_past_means_the_next_one() -> None:
    timeline = extract_timeline("setelah lebaran", now=NOW)

    # Idul Fitri 2027 is on 10 March, the collective leave ends on the 15th
    assert timeline == Timeline(start=date(2027, 3, 16), end=date(2027, 4, 14), bucket="6-12m")


def test_a_lebaran_of_a_year_gone_needs_clarification() -> None:
    timeline = extract_timeline("setelah lebaran 2025", now=NOW)

    assert timeline is not None
    assert timeline.bucket == "needs_clarification"


def test_coming_lebaran_is_a_window_after_it() -> None:
    january = datetime(2026, 1, 15, 3, 0, tzinfo=UTC)

    # Idul Fitri 2026 is on 21 March; the collective leave runs to Tuesday the 24th
    assert extract_timeline("habis lebaran", now=january) == Timeline(
        start=date(2026, 3, 25), end=date(2026, 4, 23), bucket="1-3m"
    )


def test_offset_is_a_point_one_unit_long() -> None:
    assert extract_timeline("3 bulan lagi", now=NOW) == Timeline(
        start=date(2026, 8, 13), end=date(2026, 9, 12), bucket="1-3m"
    )


def test_weeks_offset_in_english() -> None:
    assert extract_timeline("in 6 weeks", now=NOW) == Timeline(
        start=date(2026, 6, 24), end=date(2026, 6, 30), bucket="1-3m"
    )


def test_next_week_is_monday_to_sunday() -> None:
    assert extract_timeline("minggu depan", now=NOW) == Timeline(
        start=date(2026, 5, 18), end=date(2026, 5, 24), bucket="immediate_<=2w"
    )


def test_deadline_starts_now_and_is_bucketed_by_its_end() -> None:
    assert extract_timeline("6 bulan ke depan", now=NOW) == Timeline(
        start=TODAY, end=date(2026, 11, 13), bucket="3-6m"
    )


def test_deadline_on_a_date() -> None:
    assert extract_timeline("paling lambat 30 Juni", now=NOW) == Timeline(
        start=TODAY, end=date(2026, 6, 30), bucket="1-3m"
    )


def test_before_a_window_ends_the_day_before_it() -> None:
    timeline = extract_timeline("sebelum Q3", now=NOW)

    assert timeline == Timeline(start=TODAY, end=date(2026, 6, 30), bucket="1-3m")


@pytest.mark.parametrize("text", ["secepatnya", "ASAP", "urgent banget"])
def test_urgency_is_immediate(text: str) -> None:
    assert extract_timeline(text, now=NOW) == Timeline(
        start=TODAY, end=date(2026, 5, 27), bucket="immediate_<=2w"
    )


@pytest.mark.parametrize("text", ["santai, ga urgent", "belum ada rencana", "no rush"])
def test_no_plan(text: str) -> None:
    assert extract_timeline(text, now=NOW) == Timeline(bucket="no_plan")


def test_unknown_when_asked_and_they_do_not_know() -> None:
    assert extract_timeline("belum tahu", now=NOW, expecting=True) == Timeline(bucket="unknown")


def test_month_abbreviation_that_is_a_word_needs_a_cue() -> None:
    assert extract_timeline("may I ask something", now=NOW) is None


def test_street_named_after_a_date_is_not_a_timeline() -> None:
    assert extract_timeline("kantor di jalan 17 agustus", now=NOW) is None


def test_years_of_experience_are_not_a_plan() -> None:
    assert extract_timeline("sudah 5 tahun pakai excel", now=NOW) is None


def test_year_end_is_the_fourth_quarter() -> None:
    assert extract_timeline("akhir tahun", now=NOW) == Timeline(
        start=date(2026, 10, 1), end=date(2026, 12, 31), bucket="3-6m"
    )


def test_early_quarter_is_its_first_month() -> None:
    assert extract_timeline("awal Q4", now=NOW) == Timeline(
        start=date(2026, 10, 1), end=date(2026, 10, 31), bucket="3-6m"
    )
