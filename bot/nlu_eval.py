"""`qualibot nlu eval FILE ...`: reply understanding measured against labelled replies.

Reads files in the held-out format (tests/heldout/README.md: conversations of labelled
prospect replies), runs every reply through the extractors as the engine would (with the
question that was asked) and prints, per slot and per intent, precision, recall and F1, plus
a confusion matrix per slot. What counts as right (corpus/LABELS.md):

* budget: status, min, max, currency and period all equal; authority: the role (the process
  is scored on its own line); need: the level; timeline: the bucket; name and company: the
  stored string, compared without case and surrounding punctuation.
* A slot the reply says nothing about is labelled null: a value found there is a false
  positive. Recall (the "accuracy per slot" of the README) is over the replies whose label is
  not null; precision over the replies where something was found.
"""

import argparse
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import yaml

from dialogs.extract import Expecting

SLOTS: Final = ("budget", "authority", "authority.process", "need", "timeline", "name", "company")
BANT: Final = ("budget", "authority", "need", "timeline")
NOTHING: Final = "∅"
EXPECTING: Final[dict[str, Expecting]] = {
    "budget": "money",
    "role": "role",
    "need": "need",
    "timeline": "timeline",
    "consent": "yesno",
    "company_size": "number",
    "name": "name",
    "company": "company",
}


@dataclass(frozen=True, slots=True)
class Reply:
    """One labelled prospect reply."""

    where: str  # file:conversation#turn, for reports
    text: str
    now: datetime
    asked: str
    gold: dict[str, Any]  # slot -> label (None: says nothing), "intents" -> list


@dataclass(frozen=True, slots=True)
class Reading:
    """What the extractors made of a reply, as labels (None: nothing found)."""

    labels: dict[str, str | None]  # slot -> comparable label
    intents: frozenset[str]


Reader = Callable[[Reply], Reading]


def load_replies(paths: Iterable[Path]) -> list[Reply]:
    """Every labelled reply of the given files, in order."""
    replies: list[Reply] = []
    for path in paths:
        for conversation in yaml.safe_load(path.read_text()):
            now = datetime.fromisoformat(str(conversation["now"]))
            for n, turn in enumerate(conversation["turns"], start=1):
                gold = {
                    key: turn.get(key)
                    for key in ("budget", "authority", "need", "timeline", "name", "company")
                }
                gold["intents"] = list(turn.get("intents") or [])
                replies.append(
                    Reply(
                        where=f"{path.name}:{conversation['conv']}#{n}",
                        text=str(turn["text"]),
                        now=now,
                        asked=str(turn.get("asked") or "none"),
                        gold=gold,
                    )
                )
    return replies


def text_label(value: object) -> str | None:
    if value is None:
        return None
    return " ".join(str(value).casefold().strip(" .,!?'\"").split()) or None


def gold_labels(reply: Reply) -> dict[str, str | None]:
    """The gold labels in the comparable form `Reading.labels` uses."""
    gold = reply.gold
    budget = gold["budget"]
    authority = gold["authority"]
    return {
        "budget": budget_label(budget) if budget else None,
        "authority": str(authority["role"]) if authority else None,
        "authority.process": (str(authority.get("process") or NOTHING) if authority else None),
        "need": str(gold["need"]["level"]) if gold["need"] else None,
        "timeline": str(gold["timeline"]["bucket"]) if gold["timeline"] else None,
        "name": text_label(gold["name"]),
        "company": text_label(gold["company"]),
    }


def budget_label(budget: dict[str, Any]) -> str:
    """`stated 50000000-50000000 IDR monthly`: every field that must match."""

    def amount(value: object) -> str:
        return "-" if value is None else str(int(value))  # type: ignore[call-overload]

    return (
        f"{budget.get('status')} {amount(budget.get('min'))}..{amount(budget.get('max'))} "
        f"{budget.get('currency') or 'IDR'} {budget.get('period') or '-'}"
    )


@dataclass
class Score:
    """Counts for one slot or intent."""

    support: int = 0  # gold not null
    found: int = 0  # predicted not null
    correct: int = 0  # gold not null and predicted equal
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def recall(self) -> float:
        return self.correct / self.support if self.support else 0.0

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    slots: dict[str, Score]
    intents: dict[str, Score]
    misses: list[tuple[str, str, str, str, str]]  # where, slot, text, gold, found


def evaluate(replies: Sequence[Reply], read: Reader) -> Report:
    """Score `read` on `replies`."""
    slots = {slot: Score() for slot in SLOTS}
    intents: dict[str, Score] = {}
    misses: list[tuple[str, str, str, str, str]] = []
    for reply in replies:
        reading = read(reply)
        gold = gold_labels(reply)
        for slot in SLOTS:
            want, got = gold[slot], reading.labels.get(slot)
            if slot == "authority.process" and want is None:
                continue  # scored only where the role is labelled
            score = slots[slot]
            score.support += want is not None
            score.found += got is not None
            score.correct += want is not None and want == got
            if slot not in ("name", "company"):
                score.confusion[(want or NOTHING, got or NOTHING)] += 1
            if want != got:
                misses.append((reply.where, slot, reply.text, want or NOTHING, got or NOTHING))
        wanted = set(reply.gold["intents"])
        for intent in wanted | reading.intents:
            score = intents.setdefault(intent, Score())
            score.support += intent in wanted
            score.found += intent in reading.intents
            score.correct += intent in wanted and intent in reading.intents
            if (intent in wanted) != (intent in reading.intents):
                shown = "intent" if intent in wanted else NOTHING
                found = "intent" if intent in reading.intents else NOTHING
                misses.append((reply.where, f"intent:{intent}", reply.text, shown, found))
    return Report(slots, intents, misses)


def format_report(report: Report, *, confusion: bool = True, misses: int = 0) -> str:
    """The report as text: a table per slot and intent, then confusion matrices."""
    lines = [f"{'slot':<18} {'support':>7} {'found':>6} {'prec':>6} {'recall':>6} {'F1':>6}"]
    for name, score in report.slots.items():
        lines.append(_row(name, score))
    lines.append("")
    lines.append(f"{'intent':<18} {'support':>7} {'found':>6} {'prec':>6} {'recall':>6} {'F1':>6}")
    for name in sorted(report.intents):
        lines.append(_row(name, report.intents[name]))
    if confusion:
        for name, score in report.slots.items():
            if score.confusion:
                lines.extend(["", f"{name}: gold (rows) x found (columns)", *_matrix(score)])
    for where, slot, text, want, got in report.misses[:misses]:
        lines.append(f"{where} {slot}: {text!r}\n    gold {want} | found {got}")
    return "\n".join(lines)


def _row(name: str, score: Score) -> str:
    return (
        f"{name:<18} {score.support:>7} {score.found:>6} {score.precision:>6.2f} "
        f"{score.recall:>6.2f} {score.f1:>6.2f}"
    )


def _matrix(score: Score) -> list[str]:
    labels = sorted({label for pair in score.confusion for label in pair})
    short = [label[:14] for label in labels]
    lines = [" " * 16 + " ".join(f"{label:>14}" for label in short)]
    for want, name in zip(labels, short, strict=True):
        counts = [score.confusion.get((want, got), 0) for got in labels]
        lines.append(f"{name:>15} " + " ".join(f"{c or '.':>14}" for c in counts))
    return lines


def register(nlu_commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """`qualibot nlu eval`."""
    evaluate_ = nlu_commands.add_parser("eval", help="score the extractors on labelled replies")
    evaluate_.add_argument("files", nargs="+", type=Path, help="held-out format YAML files")
    evaluate_.add_argument("--misses", type=int, default=0, help="print this many misses")
    evaluate_.add_argument("--no-confusion", action="store_true", help="tables only")
    evaluate_.set_defaults(func=_eval)


def _eval(args: argparse.Namespace) -> int:
    from bot.nlu_reading import read

    replies = load_replies(args.files)
    report = evaluate(replies, read)
    print(f"{len(replies)} replies from {', '.join(str(p) for p in args.files)}")
    print(format_report(report, confusion=not args.no_confusion, misses=args.misses))
    return 0
