"""Facts for scoring: a budget keeps its currency, and scores at its value in Rupiah."""

from datetime import UTC, datetime

from dialogs import ConversationState
from dialogs.facts import attributes, qualification
from dialogs.flow.schema import DEFAULT_RATES
from dialogs.state import SlotValue

NOW = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)


def budget(currency: str, amount: int) -> dict[str, SlotValue]:
    value = {"min": amount, "max": amount, "currency": currency, "status": "stated"}
    return {"budget": SlotValue(value=value, raw=f"{currency} {amount}", at=NOW)}


def test_a_dollar_budget_scores_at_its_value_in_rupiah() -> None:
    found = attributes(budget("USD", 10_000), NOW, DEFAULT_RATES)

    assert found["budget.max"] == 160_000_000
    assert found["budget.currency"] == "USD"  # what the prospect said stays as said


def test_a_rupiah_budget_is_unchanged() -> None:
    assert attributes(budget("IDR", 50_000_000), NOW, DEFAULT_RATES)["budget.max"] == 50_000_000


def test_a_currency_without_a_rate_scores_as_written() -> None:
    assert attributes(budget("JPY", 500_000), NOW, DEFAULT_RATES)["budget.max"] == 500_000


def test_stage_rules_read_the_budget_in_rupiah() -> None:
    state = ConversationState(flow_id="bant", flow_version=1, slots=budget("SGD", 5_000))

    facts = qualification(state, 60, NOW, DEFAULT_RATES)

    assert facts.budget_amount == 60_000_000
