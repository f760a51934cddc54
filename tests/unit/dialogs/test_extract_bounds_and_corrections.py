"""Budgets and timelines said the way people correct, bound and work things out in chat:
a bound written after the amount, a correction, a sum worked out, what they pay today,
funds not yet released; halves of months, leave that ends, dates that are meetings."""

from datetime import UTC, date, datetime

import pytest

from dialogs.extract import extract_money, extract_timeline

NOW = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)  # Wednesday 13 May 2026, 10:00 in Jakarta


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("5jt sebulan paling mahal", None, 5_000_000),
        ("20jt kebawah lah", None, 20_000_000),
        ("gopek mentok kak", None, 500_000),
        ("mentok 2 juta", None, 2_000_000),
        ("$300 a month or less", None, 300),
        ("10jt ke atas gpp", 10_000_000, None),
    ],
)
def test_a_bound_said_before_or_after_the_amount(text: str, low: int | None, high: int) -> None:
    budget = extract_money(text, expecting=True)

    assert budget is not None
    assert (budget.min, budget.max) == (low, high)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("3jt per bulan, eh 4 deh", 4_000_000),
        ("50jt. ralat, 75jt setahun", 75_000_000),
        ("ceban wkwk canda, 2jt an lah", 2_000_000),
        ("USD 500, sorry I mean 800", 800),
    ],
)
def test_the_amount_after_a_correction_is_meant(text: str, amount: int) -> None:
    budget = extract_money(text, expecting=True)

    assert budget is not None
    assert budget.max == amount


def test_a_corrected_number_keeps_the_unit_and_currency_it_corrects() -> None:
    budget = extract_money("SGD 2k a month, eh 3", expecting=True)

    assert budget is not None
    assert (budget.max, budget.currency) == (3000, "SGD")


def test_a_sum_worked_out_is_read_as_its_total() -> None:
    budget = extract_money("20 user x 150rb = 3jt sebulan", expecting=True)

    assert budget is not None
    assert (budget.min, budget.max, budget.period) == (3_000_000, 3_000_000, "monthly")


def test_what_they_pay_today_is_not_the_budget() -> None:
    budget = extract_money(
        "sekarang bayar 6jt ke vendor lain, kemahalan. pengennya 4jt aja", expecting=True
    )

    assert budget is not None
    assert budget.max == 4_000_000


@pytest.mark.parametrize(
    "text",
    ["nunggu dananya cair dulu", "kalau anggaran sudah disahkan baru bisa", "subject to approval"],
)
def test_funds_not_yet_released_are_pending(text: str) -> None:
    budget = extract_money(text, expecting=True)

    assert budget is not None
    assert budget.status == "pending_approval"


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("around 40 juta a year, but it's not final", "tentative"),
        ("lebih kurang RM 1,000 sebulan", "tentative"),
        ("$2k monthly with some room to stretch", "flexible"),
    ],
)
def test_doubt_and_room_change_the_status(text: str, status: str) -> None:
    budget = extract_money(text, expecting=True)

    assert budget is not None
    assert budget.status == status


def test_one_word_amounts_with_a_hyphen() -> None:
    budget = extract_money("se-M setahun udah sama implementasi", expecting=True)

    assert budget is not None
    assert budget.max == 1_000_000_000


def test_half_a_month_is_read() -> None:
    timeline = extract_timeline("kira2 2,5 bulan lagi", now=NOW, expecting=True)

    assert timeline is not None
    assert timeline.start == date(2026, 7, 28)  # two months and fifteen days on
    assert timeline.bucket == "1-3m"


def test_within_in_malay() -> None:
    timeline = extract_timeline("dalam masa tiga minggu", now=NOW, expecting=True)

    assert timeline is not None
    assert (timeline.start, timeline.end) == (date(2026, 5, 13), date(2026, 6, 3))


def test_after_the_collective_leave_ends() -> None:
    timeline = extract_timeline(
        "habis mudik", now=datetime(2026, 2, 2, 3, 0, tzinfo=UTC), expecting=True
    )
    ended = extract_timeline(
        "cuti bersama kelar langsung jalan", now=datetime(2026, 2, 2, 3, 0, tzinfo=UTC)
    )

    assert timeline is not None
    assert ended is not None
    assert timeline.start == ended.start
    assert timeline.start is not None
    assert timeline.start > date(2026, 3, 20)


def test_a_day_with_an_approximation_suffix() -> None:
    timeline = extract_timeline("tgl 10an juli", now=NOW, expecting=True)

    assert timeline is not None
    assert timeline.start == date(2026, 7, 10)


@pytest.mark.parametrize(
    "text",
    [
        "bisa presentasi minggu ini?",
        "could you present to our board in September?",
        "bulan depan kami rapat untuk shortlist vendor",
    ],
)
def test_a_date_for_a_meeting_is_no_start(text: str) -> None:
    assert extract_timeline(text, now=NOW) is None


def test_a_meeting_that_starts_the_project_is_a_start() -> None:
    timeline = extract_timeline("abis rapat direksi juli langsung mulai", now=NOW)

    assert timeline is not None
    assert timeline.start == date(2026, 7, 1)


def test_of_several_dates_the_start_is_taken() -> None:
    timeline = extract_timeline(
        "RFP bulan juni, PO agustus, go live oktober", now=NOW, expecting=True
    )

    assert timeline is not None
    assert timeline.start == date(2026, 10, 1)


def test_a_short_month_after_week_of() -> None:
    timeline = extract_timeline("second week of sep", now=NOW, expecting=True)

    assert timeline is not None
    assert timeline.start is not None
    assert timeline.start.month == 9
