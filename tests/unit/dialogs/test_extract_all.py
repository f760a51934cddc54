"""extract_all: one message, every slot and intent, in the JSON shape of `qualibot parse`."""

from datetime import UTC, datetime

from dialogs.extract import Extraction, extract_all

NOW = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)


def test_one_message_fills_several_slots() -> None:
    found = extract_all("budget sekitar 50jt, mau jalan Q3, saya head of procurement", now=NOW)

    shown = found.to_json()
    # grammars: sure of what they parse
    assert shown["budget"] == {
        "confidence": 0.95,
        "min": 50_000_000,
        "max": 50_000_000,
        "currency": "IDR",
        "period": None,
        "approx": True,
        "status": "stated",
        "ambiguous": False,
        "alternatives": [],
    }
    assert shown["timeline"] == {
        "confidence": 0.95,
        "start": "2026-07-01",
        "end": "2026-09-30",
        "bucket": "1-3m",
    }
    # the classifier places the role; the grammar keeps the title as written
    assert shown["authority"]["title"] == "head of procurement"
    assert 0.5 <= shown["authority"]["confidence"] <= 1


def test_nothing_found_is_an_empty_object() -> None:
    assert extract_all("hmm", now=NOW).to_json() == {}


def test_a_greeting_is_an_intent_and_nothing_more() -> None:
    assert extract_all("halo kak", now=NOW).to_json() == {"intents": ["greeting"]}


def test_intents_are_a_sorted_list() -> None:
    found = extract_all("bisa demo? berapa harganya?", now=NOW)

    assert found.to_json()["intents"] == ["demo", "price"]
    assert found.budget is None  # asking our price tells nothing of their budget


def test_expecting_money_reads_a_bare_answer() -> None:
    found = extract_all("belum ada", now=NOW, expecting="money")

    assert found.budget is not None
    assert (found.budget.status, found.budget.min, found.budget.max) == ("no_budget", None, None)


def test_without_expecting_a_bare_answer_is_not_a_budget() -> None:
    assert extract_all("belum ada", now=NOW) == Extraction()


def test_approval_limit_is_not_also_a_budget() -> None:
    found = extract_all("kalau < 5 juta saya bisa approve sendiri", now=NOW)

    assert found.budget is None


def test_huge_message_with_emoji_and_controls_does_not_raise() -> None:
    text = ("🙏 budget\x00 50jt \u200b" * 500)[:10_000]

    found = extract_all(text, now=NOW)

    assert found.budget is not None
    assert (found.budget.min, found.budget.max) == (50_000_000, 50_000_000)
