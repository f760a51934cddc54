"""extract_all: one message, every slot and intent, in the JSON shape of `qualibot parse`."""

from datetime import UTC, datetime

from dialogs.extract import Extraction, extract_all
from dialogs.slots import Budget

NOW = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)


def test_one_message_fills_several_slots() -> None:
    found = extract_all("budget sekitar 50jt, mau jalan Q3, saya head of procurement", now=NOW)

    assert found.to_json() == {
        "budget": {
            "min": 50_000_000,
            "max": 50_000_000,
            "currency": "IDR",
            "period": None,
            "approx": True,
            "status": "stated",
            "ambiguous": False,
            "alternatives": [],
        },
        "authority": {
            "role": "decision_maker",
            "decision_process": None,
            "approver": None,
            "title": "head of procurement",
            "approval_limit": None,
        },
        "timeline": {"start": "2026-07-01", "end": "2026-09-30", "bucket": "1-3m"},
    }


def test_nothing_found_is_an_empty_object() -> None:
    assert extract_all("halo kak", now=NOW).to_json() == {}


def test_intents_are_a_sorted_list() -> None:
    found = extract_all("bisa demo? berapa harganya?", now=NOW)

    assert found.to_json() == {"intents": ["demo", "price"]}


def test_expecting_money_reads_a_bare_answer() -> None:
    found = extract_all("belum ada", now=NOW, expecting="money")

    assert found.budget == Budget(status="no_budget")


def test_without_expecting_a_bare_answer_is_not_a_budget() -> None:
    assert extract_all("belum ada", now=NOW) == Extraction()


def test_approval_limit_is_not_also_a_budget() -> None:
    found = extract_all("kalau < 5 juta saya bisa approve sendiri", now=NOW)

    assert found.budget is None


def test_huge_message_with_emoji_and_controls_does_not_raise() -> None:
    text = ("🙏 budget\x00 50jt \u200b" * 500)[:10_000]

    found = extract_all(text, now=NOW)

    assert found.budget == Budget(min=50_000_000, max=50_000_000)
