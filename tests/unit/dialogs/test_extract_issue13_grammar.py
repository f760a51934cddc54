"""Grammars for what has structure: amounts in words and slang, bases and stretches, limits
that are no budget, and the calendar (holidays with their collective leave, negated times)."""

from datetime import UTC, date, datetime

import pytest

from dialogs.extract import extract_all, extract_money, extract_timeline

NOW = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)  # Wednesday 13 May 2026, 10:00 in Jakarta


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("dua ratus lima puluh ribu per user", 250_000, 250_000),
        ("budget seratus dua puluh lima juta", 125_000_000, 125_000_000),
        ("a hundred and twenty-five million rupiah", 125_000_000, 125_000_000),
        ("two and a half million rupiah", 2_500_000, 2_500_000),
        ("sejuta setengah", 1_500_000, 1_500_000),
        ("sak juta setengah sebulan", 1_500_000, 1_500_000),
        ("kira2 sepuluh sampai lima belas juta", 10_000_000, 15_000_000),
        ("paling gocap sebulan", None, 50_000),
        ("Rp 50.000.000,-", 50_000_000, 50_000_000),
        ("antara 20 sampai 30 juta", 20_000_000, 30_000_000),
        ("skrg bayar 9,5jt/bln. budget kita maks 8jt/bln", None, 8_000_000),
    ],
)
def test_amounts_in_words_slang_and_numerals(text: str, low: int | None, high: int) -> None:
    budget = extract_money(text, expecting=True)

    assert budget is not None
    assert (budget.min, budget.max) == (low, high)


def test_a_base_and_a_stretch_is_a_flexible_range() -> None:
    budget = extract_money("SGD 800 a month, max 1k if it's really good")

    assert budget is not None
    assert (budget.min, budget.max, budget.currency, budget.period, budget.status) == (
        800,
        1000,
        "SGD",
        "monthly",
        "flexible",
    )


@pytest.mark.parametrize(
    "text",
    [
        "Di bawah Rp 10.000.000,- saya bisa putuskan sendiri, di atas itu persetujuan Yayasan.",
        "Anything under USD 10k a year I can sign myself, above that goes to HQ.",
        "inbound leads dr campaign kita 3-4rb per bulan",
    ],
)
def test_limits_and_counts_are_no_budget(text: str) -> None:
    found = extract_all(text, now=NOW)

    assert found.budget is None or found.budget.max is None


@pytest.mark.parametrize(
    ("text", "start", "end", "bucket"),
    [
        # Idul Fitri 2027 is on 10 March; the collective leave ends on the 15th
        ("setelah lebaran", date(2027, 3, 16), date(2027, 4, 14), "6-12m"),
        ("sebelum tahun ajaran baru", date(2026, 5, 13), date(2026, 7, 14), "1-3m"),
        ("harus jalan sebelum tutup buku", date(2026, 5, 13), date(2026, 12, 30), "6-12m"),
        ("sebelum promo 11.11", date(2026, 5, 13), date(2026, 11, 10), "3-6m"),
        ("mulai bulan 9", date(2026, 9, 1), date(2026, 9, 30), "3-6m"),
        ("tahun ini blm, mungkin 2027", date(2027, 1, 1), date(2027, 12, 31), "6-12m"),
        ("Q3, mungkin Agustus", date(2026, 8, 1), date(2026, 8, 31), "1-3m"),
        ("juni, eh maksud saya juli", date(2026, 7, 1), date(2026, 7, 31), "1-3m"),
        ("mid-year", date(2026, 6, 1), date(2026, 8, 31), "<=1m"),
    ],
)
def test_calendar_phrases(text: str, start: date, end: date, bucket: str) -> None:
    timeline = extract_timeline(text, now=NOW)

    assert timeline is not None
    assert (timeline.start, timeline.end, timeline.bucket) == (start, end, bucket)


def test_a_demo_next_week_is_a_meeting_not_a_start() -> None:
    timeline = extract_timeline("bisa demo minggu depan?", now=NOW)

    assert timeline is None or timeline.start is None
