"""Reply understanding: every extractor over one message, and the per-kind functions."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from dialogs.extract import combine
from dialogs.extract.choice import ChoiceCandidate, ChoiceMatch, match_choice
from dialogs.extract.classifier import Reading, load_classifiers
from dialogs.extract.contact import extract_email, extract_phone, is_personal_email
from dialogs.extract.intents import detect_intents, intents_in
from dialogs.extract.money import budget_in, extract_money
from dialogs.extract.names import company_in, name_in
from dialogs.extract.need import extract_need, need_in
from dialogs.extract.number import parse_number
from dialogs.extract.role import authority_in, extract_authority
from dialogs.extract.text import mentions, normalize
from dialogs.extract.timeline import extract_timeline, timeline_in
from dialogs.extract.yesno import parse_yesno
from dialogs.slots import (
    Authority,
    Budget,
    CompanyName,
    Email,
    Intent,
    Need,
    PersonName,
    Phone,
    Timeline,
)

__all__ = [
    "ChoiceCandidate",
    "ChoiceMatch",
    "Expecting",
    "Extraction",
    "detect_intents",
    "extract_all",
    "extract_authority",
    "extract_email",
    "extract_money",
    "extract_need",
    "extract_phone",
    "extract_timeline",
    "is_personal_email",
    "match_choice",
    "normalize",
    "parse_number",
    "parse_yesno",
]

Expecting = (
    Literal[
        "money",
        "timeline",
        "role",
        "need",
        "yesno",
        "number",
        "email",
        "phone",
        "choice",
        "text",
        "name",
        "company",
    ]
    | None
)
# Intents that still answer the question asked: "kirim pricelist dulu" answers the budget one.
_ANSWERS_WITH: Final[dict[Expecting, frozenset[Intent]]] = {
    "money": frozenset({Intent.PRICE, Intent.DEMO, Intent.PRODUCT}),
    "need": frozenset({Intent.PRODUCT, Intent.DEMO, Intent.PRICE, Intent.NOT_INTERESTED}),
    "role": frozenset({Intent.SOMEONE_ELSE}),
}
# What a reply carrying one of these intents is about: not a bare name or company.
_NOT_AN_ANSWER: Final = frozenset(
    {
        Intent.STOP,
        Intent.ERASE,
        Intent.HUMAN,
        Intent.DEMO,
        Intent.PRICE,
        Intent.PRODUCT,
        Intent.NOT_INTERESTED,
        Intent.BOT_QUESTION,
        Intent.RESTART,
        Intent.HELP,
        Intent.LANGUAGE_EN,
        Intent.LANGUAGE_ID,
    }
)


_NOT_A_NEED: Final = frozenset(
    {Intent.PRICE, Intent.DEMO, Intent.BOT_QUESTION, Intent.HUMAN, Intent.STOP, Intent.HELP}
)


@dataclass(frozen=True, slots=True)
class Extraction:
    """Everything one message said; None/empty where it said nothing."""

    budget: Budget | None = None
    authority: Authority | None = None
    need: Need | None = None
    timeline: Timeline | None = None
    email: Email | None = None
    phone: Phone | None = None
    intents: frozenset[Intent] = frozenset()
    name: PersonName | None = None
    company: CompanyName | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON shape of `qualibot parse`: absent keys mean nothing found."""
        out: dict[str, Any] = {}
        for key in (
            "budget",
            "authority",
            "need",
            "timeline",
            "email",
            "phone",
            "name",
            "company",
        ):
            value = getattr(self, key)
            if value is not None:
                out[key] = value.model_dump(mode="json")
        if self.intents:
            out["intents"] = sorted(str(intent) for intent in self.intents)
        return out


def extract_all(
    text: str, *, now: datetime, language: str | None = None, expecting: Expecting = None
) -> Extraction:
    """Run every grammar and classifier over one message.

    `expecting` is the kind of the question just asked: its reading may take short answers
    ("belum ada", "50", "owner") that would be false positives anywhere else. `language` is
    accepted for the engine's convenience; grammars and classifiers read both languages.
    """
    del language  # every pattern and model is bilingual; code-switching is the norm
    norm = normalize(text)
    classifiers = load_classifiers()
    read = classifiers.read(norm)
    intents = intents_of(norm, read["intents"])
    # "STOP pls" is no company; asking our price back is an answer to the budget question
    related = _ANSWERS_WITH.get(expecting, frozenset())
    answers = not (intents & (_NOT_AN_ANSWER - related))
    grammar_authority = authority_in(norm, expecting=expecting == "role")
    grammar_budget = budget_in(norm, expecting=expecting == "money")
    if (
        grammar_budget is not None
        and grammar_authority is not None
        and grammar_authority.approval_limit is not None
        and grammar_budget.max == grammar_authority.approval_limit
        and grammar_budget.min is None
    ):
        grammar_budget = None  # "kalau < 5 juta saya bisa approve sendiri" is a limit
    words = len(norm.split())
    says_something = words >= combine.SAYS_SOMETHING
    if expecting in ("name", "company") and not mentions(norm, "timeline"):
        grammar_timeline = None  # "Lim Mei Ling" names a person, not May
    else:
        grammar_timeline = timeline_in(norm, now=now, expecting=expecting == "timeline")
    if not answers:
        expecting = None  # "help" asked back is no answer to the question: off-topic rules
    return Extraction(
        budget=combine.budget(
            grammar_budget,
            read["budget_status"],
            asked=expecting == "money",
            about=says_something and mentions(norm, "budget"),
            words=words,
        ),
        authority=combine.authority(
            grammar_authority,
            read["role"],
            read["process"],
            asked=expecting == "role",
            about=says_something,
            words=words,
        ),
        need=combine.need(
            need_in(norm, expecting=expecting == "need"),
            read["need"],
            asked=expecting == "need",
            # asking our price, a demo or whether we are a bot tells no need of theirs
            about=says_something and not intents & _NOT_A_NEED,
            words=words,
        ),
        timeline=combine.timeline(
            grammar_timeline,
            read["timeline_status"],
            asked=expecting == "timeline",
            about=says_something and mentions(norm, "timeline"),
            words=words,
        ),
        email=extract_email(text),
        phone=extract_phone(text),
        intents=intents,
        name=name_in(text, asked=expecting == "name", common=classifiers.is_common),
        company=company_in(text, asked=expecting == "company", common=classifiers.is_common),
    )


# The grammar's readings taken on their own: explicit opt-outs, erasure, commands. Its price,
# demo and human patterns ("demo", "bukan bot") also fire on near-misses ("udah liat demo",
# "customer maunya dibales orang, bukan bot"): those count only when the classifier leans
# that way too (GRAMMAR_SECONDED).
_GRAMMAR_ALONE: Final = frozenset(
    {
        Intent.STOP,
        Intent.NOT_INTERESTED,
        Intent.ERASE,
        Intent.RESTART,
        Intent.HELP,
        Intent.LANGUAGE_EN,
        Intent.LANGUAGE_ID,
    }
)
GRAMMAR_SECONDED: Final = 0.25


# Intents that set something in motion (a handoff now, asking for someone else's contact)
# need this much from the classifier when the grammar does not read them too: "3 orang sama
# saya" is no wish to talk to a person.
ACTING_SURE: Final[dict[Intent, float]] = {
    Intent.HUMAN: 0.8,
    Intent.DEMO: 0.8,
    Intent.SOMEONE_ELSE: 0.75,
}


# Switching language only on words that ask for it: "PT Swift Cargo Indonesia" asks nothing.
_GRAMMAR_ONLY: Final = frozenset({Intent.LANGUAGE_ID, Intent.LANGUAGE_EN})


def intents_of(norm: str, reading: Reading) -> frozenset[Intent]:
    """The classifier's intents, and those the grammar reads where it is precise."""
    grammar = intents_in(norm)
    found = {
        Intent(label)
        for label in reading.labels
        if Intent(label) in grammar
        or (
            Intent(label) not in _GRAMMAR_ONLY
            and reading.probabilities.get(label, 0) >= ACTING_SURE.get(Intent(label), 0)
        )
    }
    for intent in grammar:
        if (
            intent in _GRAMMAR_ALONE
            or reading.probabilities.get(str(intent), 0) >= GRAMMAR_SECONDED
        ):
            found.add(intent)
    return frozenset(found)
