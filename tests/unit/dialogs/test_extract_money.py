"""Budgets: Rupiah shorthand, ranges, periods, currencies, ambiguity and statuses."""

import pytest

from dialogs.extract import extract_money
from dialogs.slots import Budget, BudgetStatus


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("50jt", 50_000_000),
        ("50 juta", 50_000_000),
        ("50 jeti", 50_000_000),
        ("Rp 1.250.000", 1_250_000),
        ("Rp50.000.000,-", 50_000_000),
        ("1,5 jt", 1_500_000),
        ("750rb", 750_000),
        ("500 ribu", 500_000),
        ("500k", 500_000),
        ("1,5M", 1_500_000_000),
        ("2 miliar", 2_000_000_000),
        ("3 milyar", 3_000_000_000),
        ("setengah M", 500_000_000),
        ("seratus juta", 100_000_000),
        ("dua ratus juta", 200_000_000),
        ("sejuta", 1_000_000),
    ],
)
def test_rupiah_amounts_are_read_as_integers(text: str, amount: int) -> None:
    budget = extract_money(text, expecting=True)

    assert budget == Budget(min=amount, max=amount)


def test_range_applies_the_second_unit_to_the_first_number() -> None:
    assert extract_money("30-40jt") == Budget(min=30_000_000, max=40_000_000)


def test_range_with_words_is_not_summed() -> None:
    budget = extract_money("antara 100 sampai 150 juta")

    assert budget == Budget(min=100_000_000, max=150_000_000)


def test_range_between_and_needs_between() -> None:
    assert extract_money("antara 30 dan 40 juta") == Budget(min=30_000_000, max=40_000_000)


@pytest.mark.parametrize(
    "text", ["maksimal 200jt", "paling 200jt", "under 200jt", "ga sampe 200jt"]
)
def test_ceiling_words_give_only_a_max(text: str) -> None:
    assert extract_money(text) == Budget(max=200_000_000)


def test_floor_words_give_only_a_min() -> None:
    assert extract_money("minimal 10jt") == Budget(min=10_000_000)


@pytest.mark.parametrize(
    "text", ["sekitar 50jt", "kurang lebih 50jt", "±50jt", "50jt-an", "50 jutaan"]
)
def test_approximate_amounts_are_flagged(text: str) -> None:
    assert extract_money(text) == Budget(min=50_000_000, max=50_000_000, approx=True)


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("5jt/bln", "monthly"),
        ("5 juta per bulan", "monthly"),
        ("5jt sebulan", "monthly"),
        ("60jt/thn", "yearly"),
        ("60 juta per tahun", "yearly"),
        ("60jt setahun", "yearly"),
        ("sekali bayar 60jt", "one_time"),
    ],
)
def test_period_is_read_next_to_the_amount(text: str, period: str) -> None:
    budget = extract_money(text)

    assert budget is not None
    assert budget.period == period


def test_period_from_another_clause_is_not_taken() -> None:
    budget = extract_money("budget 50jt, mulai sebulan lagi")

    assert budget == Budget(min=50_000_000, max=50_000_000)


@pytest.mark.parametrize(
    ("text", "currency", "amount"),
    [("$10k", "USD", 10_000), ("USD 5,000", "USD", 5_000), ("SGD 20k", "SGD", 20_000)],
)
def test_other_currencies_keep_their_code(text: str, currency: str, amount: int) -> None:
    assert extract_money(text) == Budget(min=amount, max=amount, currency=currency)


def test_english_decimal_with_m_is_ambiguous_and_not_guessed() -> None:
    budget = extract_money("1.5M")

    assert budget == Budget(ambiguous=True, alternatives=(1_500_000_000, 1_500_000))


def test_m_with_dollars_is_a_million() -> None:
    assert extract_money("$1.5M") == Budget(min=1_500_000, max=1_500_000, currency="USD")


def test_bare_small_number_when_asked_is_ambiguous() -> None:
    assert extract_money("50", expecting=True) == Budget(
        ambiguous=True, alternatives=(50_000_000,)
    )


def test_bare_large_number_when_asked_is_rupiah() -> None:
    assert extract_money("25000000", expecting=True) == Budget(min=25_000_000, max=25_000_000)


@pytest.mark.parametrize("text", ["2", "ya", "50 orang", "10k users", "0812-3456-7890", "Q3 2026"])
def test_numbers_that_are_not_money_are_ignored(text: str) -> None:
    assert extract_money(text) is None


def test_headcount_is_not_money_even_when_asked() -> None:
    assert extract_money("50 orang", expecting=True) is None


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("kira-kira 50jt", "tentative"),
        ("mungkin 50jt", "tentative"),
        ("50jt, bisa nego", "flexible"),
        ("fleksibel, 50jt", "flexible"),
        ("50jt tapi masih nunggu approval", "pending_approval"),
    ],
)
def test_status_words_qualify_a_stated_amount(text: str, status: BudgetStatus) -> None:
    budget = extract_money(text)

    assert budget is not None
    assert budget.status == status


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("belum ada", "no_budget"),
        ("belum tau, minta penawaran dulu", "unknown_wants_quote"),
        ("rahasia", "refused"),
        ("nanti aja", "refused"),
        ("lagi diajukan", "pending_approval"),
    ],
)
def test_short_answers_to_the_budget_question_give_a_status(
    text: str, status: BudgetStatus
) -> None:
    assert extract_money(text, expecting=True) == Budget(status=status)


def test_bare_status_words_out_of_context_are_ignored() -> None:
    assert extract_money("belum ada") is None


def test_status_words_next_to_a_budget_word_count_without_the_question() -> None:
    assert extract_money("budget belum ada") == Budget(status="no_budget")
