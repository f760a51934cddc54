"""Reply understanding: every extractor over one message, and the per-kind functions."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from dialogs.extract.choice import ChoiceCandidate, ChoiceMatch, match_choice
from dialogs.extract.contact import extract_email, extract_phone, is_personal_email
from dialogs.extract.intents import detect_intents, intents_in
from dialogs.extract.money import budget_in, extract_money
from dialogs.extract.need import extract_need, need_in
from dialogs.extract.number import parse_number
from dialogs.extract.role import authority_in, extract_authority
from dialogs.extract.text import normalize
from dialogs.extract.timeline import extract_timeline, timeline_in
from dialogs.extract.yesno import parse_yesno
from dialogs.slots import Authority, Budget, Email, Intent, Need, Phone, Timeline

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
        "money", "timeline", "role", "need", "yesno", "number", "email", "phone", "choice", "text"
    ]
    | None
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

    def to_json(self) -> dict[str, Any]:
        """JSON shape of `qualibot parse`: absent keys mean nothing found."""
        out: dict[str, Any] = {}
        for key in ("budget", "authority", "need", "timeline", "email", "phone"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value.model_dump(mode="json")
        if self.intents:
            out["intents"] = sorted(str(intent) for intent in self.intents)
        return out


def extract_all(
    text: str, *, now: datetime, language: str | None = None, expecting: Expecting = None
) -> Extraction:
    """Run every extractor over one message.

    `expecting` is the kind of the question just asked: its extractor may read short answers
    ("belum ada", "50") that would be false positives anywhere else. `language` is accepted
    for the engine's convenience; the extractors read both languages either way.
    """
    del language  # every pattern is bilingual; code-switching is the norm
    norm = normalize(text)
    authority = authority_in(norm, expecting=expecting == "role")
    budget = budget_in(norm, expecting=expecting == "money")
    if (
        budget is not None
        and authority is not None
        and authority.approval_limit is not None
        and budget.max == authority.approval_limit
        and budget.min is None
    ):
        budget = None  # "kalau < 5 juta saya bisa approve sendiri" is a limit, not a budget
    return Extraction(
        budget=budget,
        authority=authority,
        need=need_in(norm, expecting=expecting == "need"),
        timeline=timeline_in(norm, now=now, expecting=expecting == "timeline"),
        email=extract_email(text),
        phone=extract_phone(text),
        intents=intents_in(norm),
    )
