"""The utterance corpus, table-driven: each id names the message whose understanding broke.

The loader and the comparison live here and nowhere else; bench/corpus_accuracy.py imports
them, so the accuracy table and the test suite agree on what "understood" means.

The corpus checks what the grammars own: amounts (budget with a figure), dates (timeline with
a window), emails, phones, yes/no and numbers. What the classifiers decide (authority, need,
a budget or timeline status without a figure or a date, intents) is measured on the frozen
held-out set (tests/unit/dialogs/test_heldout.py) instead: a corpus written for the old
patterns would pin the classifiers to the patterns' readings.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final, get_args

import pytest
import yaml
from pydantic import BaseModel

from dialogs.extract import Expecting, Extraction, extract_all, parse_number, parse_yesno
from dialogs.slots import Authority, Budget, Email, Phone, Timeline

CORPUS: Final = Path(__file__).resolve().parents[2] / "corpus" / "utterances.yaml"
DEFAULT_NOW: Final = datetime.fromisoformat("2026-05-13T10:00:00+07:00")
SLOT_KEYS: Final = ("budget", "authority", "need", "timeline", "email", "phone")
KEYS: Final = (*SLOT_KEYS, "intents", "yesno", "number")
GRAMMAR_KEYS: Final = ("budget", "timeline", "email", "phone", "yesno", "number")
# Compared whole, with the model's defaults for fields the corpus leaves out.
_WHOLE: Final[dict[str, type[BaseModel]]] = {
    "budget": Budget,
    "authority": Authority,
    "timeline": Timeline,
    "email": Email,
    "phone": Phone,
}
_EXPECTING: Final = frozenset(a for a in get_args(get_args(Expecting)[0]))


@dataclass(frozen=True)
class Utterance:
    """One corpus entry."""

    id: str
    text: str
    now: datetime
    expecting: Expecting
    expect: dict[str, Any]
    absent: tuple[str, ...] = ()
    checked: tuple[str, ...] = field(default=())
    xfail: str | None = None  # why the extractors still misread it (counted as a miss)

    def run(self) -> Extraction:
        return extract_all(self.text, now=self.now, expecting=self.expecting)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:40] or "symbols"


def load_corpus(path: Path = CORPUS) -> list[Utterance]:
    """Every corpus entry, with a stable pytest id."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = []
    for index, item in enumerate(raw, start=1):
        extra = set(item) - {"text", "now", "expecting", "expect", "absent", "xfail"}
        if extra:
            raise ValueError(f"entry {index}: unknown fields {sorted(extra)}")
        expecting = item.get("expecting")
        if expecting is not None and expecting not in _EXPECTING:
            raise ValueError(f"entry {index}: unknown expecting {expecting!r}")
        expect = item.get("expect") or {}
        absent = tuple(item.get("absent") or ())
        unknown = (set(expect) | set(absent)) - set(KEYS)
        if unknown:
            raise ValueError(f"entry {index}: unknown keys {sorted(unknown)}")
        now = datetime.fromisoformat(item["now"]) if "now" in item else DEFAULT_NOW
        checked = tuple(k for k in GRAMMAR_KEYS if _grammar_owned(k, expect, absent))
        entries.append(
            Utterance(
                id=f"{index:03d}-{_slug(str(item['text']))}",
                text=str(item["text"]),
                now=now,
                expecting=expecting,
                expect=expect,
                absent=absent,
                checked=checked,
                xfail=item.get("xfail"),
            )
        )
    return entries


def _grammar_owned(key: str, expect: dict[str, Any], absent: tuple[str, ...]) -> bool:
    """Whether the corpus entry checks something a grammar decides for `key`."""
    if key in absent:
        return True  # a guard: no figure, no date, no email ... where there is none
    if key not in expect:
        return False
    value = expect[key]
    if key == "budget" and isinstance(value, dict):
        return any(value.get(k) is not None for k in ("min", "max")) or bool(
            value.get("ambiguous")
        )
    if key == "timeline" and isinstance(value, dict):
        return value.get("start") is not None
    return True


def actual_value(utterance: Utterance, extraction: Extraction, key: str) -> Any:
    """What the extractors found for `key`, in JSON form; None (or []) when nothing."""
    if key == "yesno":
        return parse_yesno(utterance.text)
    if key == "number":
        return parse_number(utterance.text)
    found = extraction.to_json()
    if key == "intents":
        return found.get("intents", [])
    value = found.get(key)
    if isinstance(value, dict):
        value.pop("confidence", None)  # how sure, not what: the corpus says what
    return value


def matches(utterance: Utterance, extraction: Extraction, key: str) -> bool:
    """Whether the extractors understood `key` of this utterance as the corpus says."""
    actual = actual_value(utterance, extraction, key)
    if key in utterance.absent:
        if key == "budget" and actual is not None:  # a status without a figure is no amount
            return actual.get("min") is None and actual.get("max") is None
        if key == "timeline" and actual is not None:  # a status without a date is no date
            return actual.get("start") is None
        return actual in (None, [])
    expected = utterance.expect[key]
    if key in _WHOLE:
        if expected is None:
            return actual is None
        wanted = _WHOLE[key].model_validate(expected).model_dump(mode="json")
        wanted.pop("confidence", None)
        return bool(actual == wanted)
    if key == "need":
        return actual is not None and all(actual.get(k) == v for k, v in expected.items())
    if key == "intents":
        return sorted(actual) == sorted(expected)
    if key == "number" and expected is not None and actual is not None:
        return float(actual) == float(expected)
    return bool(actual == expected)


def misunderstood(utterance: Utterance) -> dict[str, tuple[Any, Any]]:
    """Key -> (expected, actual) for every key the extractors got wrong."""
    extraction = utterance.run()
    return {
        key: (
            None if key in utterance.absent else utterance.expect[key],
            actual_value(utterance, extraction, key),
        )
        for key in utterance.checked
        if not matches(utterance, extraction, key)
    }


CORPUS_ENTRIES: Final = load_corpus()


def test_corpus_is_big_enough_and_covers_every_key() -> None:
    covered = {key for entry in CORPUS_ENTRIES for key in entry.checked}

    assert len(CORPUS_ENTRIES) >= 170
    assert covered == set(GRAMMAR_KEYS)


@pytest.mark.parametrize(
    "utterance",
    [
        pytest.param(u, id=u.id, marks=[pytest.mark.xfail(reason=u.xfail)] if u.xfail else [])
        for u in CORPUS_ENTRIES
        if u.checked
    ],
)
def test_utterance_is_understood(utterance: Utterance) -> None:
    assert misunderstood(utterance) == {}
