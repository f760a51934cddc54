"""`qualibot personas run FILE ...`: whole conversations with written personas, scored.

A persona (tests/personas/README.md) is a person with a first message, an answer for each
question they would answer, interjections said instead of an answer the first time a question
comes (`at`), and what an SDR would conclude: the outcome and the facts that must be stored.
The harness plays the persona against the engine on the bundled flow (13 May 2026, 10:00 in
Jakarta, on the web chat), answering whatever the bot asks, and reports:

* outcome accuracy, and SQL precision and recall (`handed_off` is its own outcome: a person
  or a demo was asked for; any other handoff counts as `sql`);
* facts stored right (name, company, role, need, budget max, timeline bucket);
* texts that broke a rule: a promise of contact with no handoff, the same text more than
  twice, a question asked more than twice, a text in the other language.
"""

import argparse
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import yaml

from dialogs import Channel, Flow, InboundMessage, load_flow
from dialogs.closing import outcome_of
from dialogs.engine import new_state, step
from dialogs.language import word_counts
from dialogs.state import ConversationState

NOW: Final = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)  # Wednesday 13 May 2026, 10:00 WIB
MAX_TURNS: Final = 40
OUTCOMES: Final = ("sql", "mql", "not_qualified", "opted_out", "handed_off")
FACTS: Final = ("name", "company", "role", "need", "budget_max", "timeline")
# A sentence that tells the prospect someone will get in touch.
PROMISE: Final = re.compile(
    r"(?<!tidak )akan (?:segera )?(?:menghubungi|menelepon|mengontak)|"
    r"(?<!not )(?<!n.t )will (?:contact|call|"
    r"reach out|get in touch|be in touch)|in touch (?:with you )?(?:soon|shortly)",
    re.IGNORECASE,
)
# Words only one of the two languages uses, to catch a text in the wrong one.
_ONLY_ID: Final = frozenset(
    "yang dan untuk anda kami saya boleh terima kasih apa berapa dari tidak sudah kita".split()
)
_ONLY_EN: Final = frozenset("the you your our and what thank with have please which".split())
_WORD: Final = re.compile(r"[a-z]+")
# Texts the harness answers itself: a yes to "did you mean ...?" and to "shall we start?".
_YES: Final = {"id": "ya", "en": "yes"}
_NO: Final = {"id": "bukan", "en": "no"}


@dataclass(frozen=True, slots=True)
class Persona:
    id: str
    language: str
    first: str
    answers: dict[str, str]
    at: dict[str, str]
    outcome: str
    facts: dict[str, Any]


@dataclass(slots=True)
class Played:
    """One persona's conversation as it went."""

    persona: Persona
    outcome: str
    facts: dict[str, Any]
    transcript: list[tuple[str, str]] = field(default_factory=list)  # ("me"|"bot", text)
    breaks: list[str] = field(default_factory=list)


def load_personas(paths: Iterable[Path]) -> list[Persona]:
    personas: list[Persona] = []
    for path in paths:
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            expect = item.get("expect") or {}
            personas.append(
                Persona(
                    id=str(item["id"]),
                    language=str(item.get("language", "id")),
                    first=str(item.get("first") or "halo"),
                    answers={k: str(v) for k, v in (item.get("answers") or {}).items()},
                    at={k: str(v) for k, v in (item.get("at") or {}).items()},
                    outcome=str(expect.get("outcome")),
                    facts=dict(expect.get("facts") or {}),
                )
            )
    return personas


def facts_of(state: ConversationState) -> dict[str, Any]:
    def value(slot: str) -> Any:
        found = state.slots.get(slot)
        return None if found is None or found.status != "filled" else found.value

    def field_of(slot: str, key: str) -> Any:
        found = value(slot)
        return found.get(key) if isinstance(found, dict) else None

    return {
        "name": value("name"),
        "company": value("company"),
        "role": field_of("authority", "role") or "unknown",
        "need": field_of("need", "level") or "unknown",
        "budget_max": field_of("budget", "max"),
        "timeline": field_of("timeline", "bucket") or "unknown",
    }


def _clean(value: Any) -> str:
    return re.sub(r"[^\w]+", " ", str(value or "")).casefold().strip()


def same_fact(key: str, expected: Any, found: Any) -> bool:
    if key in ("name", "company"):
        return _clean(expected) == _clean(found)
    if key == "budget_max":
        return expected is not None and found is not None and int(expected) == int(found)
    return str(expected) == str(found)


def _wrong_language(text: str, language: str) -> bool:
    words = set(_WORD.findall(text.casefold()))
    other = _ONLY_EN if language == "id" else _ONLY_ID
    own = _ONLY_ID if language == "id" else _ONLY_EN
    return len(words & other) >= 2 and len(words & own) < len(words & other)


def _key_of(flow: Flow, state: ConversationState) -> str | None:
    """The persona's answers key for what the bot is asking now."""
    if state.pending is not None:
        if state.pending.kind in ("confirm", "referral"):
            return state.pending.kind
        return _key_of_question(flow, state.pending.question_id)
    return _key_of_question(flow, state.current_question)


# the persona's facts as the slot values they read from
_FACT_OF_SLOT: Final = {
    "authority": "role",
    "need": "need",
    "budget": "budget_max",
    "timeline": "timeline",
    "name": "name",
    "company": "company",
}


def _fact_in(slot: str, value: Any) -> tuple[str, Any] | None:
    key = _FACT_OF_SLOT.get(slot)
    if key is None:
        return None
    if key in ("name", "company"):
        return key, value
    field_name = {"role": "role", "need": "level", "budget_max": "max", "timeline": "bucket"}[key]
    return key, value.get(field_name) if isinstance(value, dict) else None


def _confirms(persona: Persona, state: ConversationState) -> bool:
    """A yes when what the bot read back is what the persona meant (or nothing says)."""
    pending = state.pending
    if pending is None:
        return True
    fact = _fact_in(pending.slot, pending.value)
    if fact is None or fact[0] not in persona.facts:
        return True
    return same_fact(fact[0], persona.facts[fact[0]], fact[1])


def _button_for(persona: Persona, choices: Sequence[Any], now: datetime) -> str | None:
    """The clarify button a person who knows their own answer would tap, if any."""
    from dialogs.policy import clarified

    for choice in choices:
        picked = clarified(choice.id, now)
        if picked is None:
            continue
        kind, value = picked
        slot = {"role": "authority", "money": "budget", "timeline": "timeline"}[kind]
        fact = _fact_in(slot, value)
        if fact is None or fact[0] not in persona.facts:
            continue
        expected = persona.facts[fact[0]]
        if kind == "money" and expected is not None:
            low, high = value.get("min") or 0, value.get("max") or float("inf")
            if low <= int(expected) < high:
                return str(choice.id)
        elif same_fact(fact[0], expected, fact[1]):
            return str(choice.id)
    return None


def _key_of_question(flow: Flow, question_id: str | None) -> str | None:
    question = flow.questions.get(question_id or "")
    if question is None:
        return "contact" if question_id else None
    return "role" if question.slot == "authority" else question.slot


def play(persona: Persona, flow: Flow) -> Played:
    state = new_state(flow)
    now = NOW
    handoff: str | None = None
    played = Played(persona, "", {})
    said: Counter[str] = Counter()
    asked: Counter[str] = Counter()
    language = persona.language
    used_at: set[str] = set()
    message = persona.first
    choice: str | None = None
    for n in range(MAX_TURNS):
        played.transcript.append(("me", message or f"[{choice}]"))
        inbound = InboundMessage(
            channel=Channel.WEB,
            channel_user_id=persona.id,
            message_id=f"{persona.id}-{n}",
            sent_at=now,
            text=message,
            choice_id=choice,
        )
        result = step(state, flow, inbound, now)
        state = result.state
        handoff = handoff or result.handoff
        language = _written_in(message) or language
        for reply in result.replies:
            played.transcript.append(("bot", reply.text))
            said[reply.text] += 1
            if said[reply.text] == 3:
                played.breaks.append(f"said three times: {reply.text[:60]!r}")
            if PROMISE.search(reply.text) and handoff is None:
                played.breaks.append(f"promise with no handoff: {reply.text[:60]!r}")
            if _wrong_language(reply.text, language):
                played.breaks.append(f"not in {language}: {reply.text[:60]!r}")
        if state.status in ("opted_out", "erased", "closed", "completed"):
            break
        key = _key_of(flow, state)
        if key is None:
            break
        asked_now = f"{key}:{state.current_question}"
        asked[asked_now] += 1
        if asked[asked_now] == 3 and key != "confirm":
            played.breaks.append(f"asked {key} a third time")
        buttons = [c for r in result.replies for c in r.choices]
        choice = _button_for(persona, buttons, now) if key != "confirm" else None
        if choice is not None:
            message = ""
        elif key == "confirm":
            yes = _confirms(persona, state)
            message = _YES.get(language, "ya") if yes else _NO.get(language, "tidak")
        elif key == "referral":
            message = "skip"
        elif key in persona.at and key not in used_at:
            used_at.add(key)
            message = persona.at[key]
        elif key == "consent" and key not in persona.answers:
            message = _YES.get(language, "ya")
        elif key == "contact":
            # the bot's one contact question stands for the flow's three
            said_at = next(
                (k for k in ("contact_method", "phone", "email") if k in persona.at), None
            )
            if said_at is not None and "contact" not in used_at:
                used_at.add("contact")
                message = persona.at[said_at]
            else:
                message = persona.answers.get("phone") or persona.answers.get("email") or "skip"
        elif key in persona.answers:
            message = persona.answers[key]
        else:
            break  # they would not answer that: the conversation ends here
        now += timedelta(seconds=40)
    played.outcome = outcome_of(state)
    played.facts = facts_of(state)
    return played


def _written_in(message: str) -> str | None:
    """The language the persona just wrote in, when it is plain (three telling words more
    of one than of the other), or asked for by name: what the bot should answer in."""
    lowered = message.casefold()
    if any(w in lowered for w in ("english please", "in english", "bahasa inggris")):
        return "en"
    if any(w in lowered for w in ("bahasa indonesia", "in indonesian", "pakai bahasa")):
        return "id"
    indonesian, english = word_counts(message)
    if indonesian - english >= 3:
        return "id"
    if english - indonesian >= 3:
        return "en"
    return None


@dataclass(frozen=True, slots=True)
class Report:
    played: tuple[Played, ...]

    @property
    def accuracy(self) -> float:
        return sum(p.outcome == p.persona.outcome for p in self.played) / max(len(self.played), 1)

    def precision_recall(self, outcome: str) -> tuple[float, float]:
        found = [p for p in self.played if p.outcome == outcome]
        gold = [p for p in self.played if p.persona.outcome == outcome]
        right = sum(p.persona.outcome == outcome for p in found)
        return right / max(len(found), 1), right / max(len(gold), 1)

    def fact_accuracy(self, key: str) -> tuple[int, int]:
        checked = [p for p in self.played if key in p.persona.facts]
        right = sum(same_fact(key, p.persona.facts[key], p.facts.get(key)) for p in checked)
        return right, len(checked)

    @property
    def breaks(self) -> int:
        return sum(len(p.breaks) for p in self.played)


def run(personas: Sequence[Persona], flow: Flow | None = None) -> Report:
    flow = flow or load_flow()
    return Report(tuple(play(p, flow) for p in personas))


def format_report(report: Report, *, misses: bool) -> str:
    lines = [f"{len(report.played)} personas, outcome accuracy {report.accuracy:.3f}"]
    for outcome in OUTCOMES:
        precision, recall = report.precision_recall(outcome)
        support = sum(p.persona.outcome == outcome for p in report.played)
        lines.append(
            f"  {outcome:<14} support {support:3d}  precision {precision:.2f}  recall {recall:.2f}"
        )
    lines.append("facts stored right:")
    for key in FACTS:
        right, checked = report.fact_accuracy(key)
        lines.append(f"  {key:<11} {right:3d}/{checked:<3d} {right / max(checked, 1):.2f}")
    lines.append(f"texts that broke a rule: {report.breaks}")
    kinds = Counter(b.split(":")[0] for p in report.played for b in p.breaks)
    lines.extend(f"  {kind}: {count}" for kind, count in kinds.most_common())
    if misses:
        for p in report.played:
            wrong = [
                f"{k}: {p.persona.facts[k]!r} != {p.facts.get(k)!r}"
                for k in FACTS
                if k in p.persona.facts and not same_fact(k, p.persona.facts[k], p.facts.get(k))
            ]
            if p.outcome == p.persona.outcome and not wrong and not p.breaks:
                continue
            lines.append(f"\n{p.persona.id}: expected {p.persona.outcome}, got {p.outcome}")
            lines.extend(f"  fact {w}" for w in wrong)
            lines.extend(f"  break {b}" for b in p.breaks)
            lines.extend(f"  {who:>3}: {text}" for who, text in p.transcript)
    return "\n".join(lines)


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """`qualibot personas run`."""
    personas = commands.add_parser("personas", help="play written personas against the flow")
    sub = personas.add_subparsers(dest="personas_command", required=True, metavar="COMMAND")
    run_ = sub.add_parser("run", help="play every persona and score the outcomes")
    run_.add_argument("files", nargs="+", type=Path, help="persona YAML files")
    run_.add_argument("--flow", type=Path, help="flow file (default: the bundled flow)")
    run_.add_argument("--misses", action="store_true", help="print each conversation that missed")
    run_.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    flow = load_flow(args.flow) if args.flow else load_flow()
    report = run(load_personas(args.files), flow)
    print(format_report(report, misses=args.misses))  # noqa: T201 (the command's output)
    return 0
