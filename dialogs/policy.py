"""How sure an answer must be, and the buttons that clarify an unclear one.

An answer read with confidence SURE or more is taken; between UNSURE and SURE the prospect
is asked to confirm it (Ya / Tidak); below UNSURE it is not taken. A question is put at most
MAX_ASKS times (the second time with the likely options as buttons), then its slot is
recorded unknown and the conversation moves on. No text is sent more than MAX_SAID times.
"""

import zlib
from datetime import datetime, timedelta
from typing import Any, Final

from dialogs.extract.dates import JAKARTA
from dialogs.flow.flow import Flow
from dialogs.flow.schema import Question
from dialogs.messages import Choice
from dialogs.slots import Budget, Timeline

SURE: Final = 0.8
UNSURE: Final = 0.45
MAX_ASKS: Final = 2
MAX_SAID: Final = 2
CLARIFY: Final = "clarify:"  # button ids: clarify:<kind>:<value>
OTHER: Final = CLARIFY + "other"

_ROLES: Final = (
    ("decision_maker", {"id": "Saya yang memutuskan", "en": "I decide"}),
    ("co_decision_maker", {"id": "Saya ikut memutuskan", "en": "I decide with others"}),
    ("influencer", {"id": "Saya usulkan, atasan memutuskan", "en": "I recommend, others decide"}),
    ("researcher", {"id": "Saya cari info dulu", "en": "Just gathering information"}),
)
_BUDGETS: Final = (
    ("lt5", {"id": "< Rp 5 jt", "en": "< IDR 5M"}, None, 5_000_000),
    ("5-25", {"id": "Rp 5-25 jt", "en": "IDR 5-25M"}, 5_000_000, 25_000_000),
    ("25-100", {"id": "Rp 25-100 jt", "en": "IDR 25-100M"}, 25_000_000, 100_000_000),
    ("gt100", {"id": "> Rp 100 jt", "en": "> IDR 100M"}, 100_000_000, None),
    ("none", {"id": "Belum ada anggaran", "en": "No budget yet"}, None, None),
)
# bucket, label, first and last day from today
_TIMELINES: Final = (
    ("immediate_<=2w", {"id": "Secepatnya", "en": "As soon as possible"}, 0, 14),
    ("1-3m", {"id": "1-3 bulan lagi", "en": "In 1-3 months"}, 31, 92),
    ("3-6m", {"id": "3-6 bulan lagi", "en": "In 3-6 months"}, 93, 183),
    ("6-12m", {"id": "Lebih dari 6 bulan", "en": "More than 6 months"}, 184, 365),
    ("no_plan", {"id": "Belum ada rencana", "en": "No plan yet"}, None, None),
)


def fingerprint(text: str) -> str:
    """A short key for a sent text, to count repeats without keeping the text."""
    return format(zlib.crc32(text.encode()), "08x")


def confidence_of(value: Any, given: float | None) -> float:
    if given is not None:
        return given
    found = value.get("confidence") if isinstance(value, dict) else None
    return float(found) if isinstance(found, int | float) else 1.0


def clarify_choices(flow: Flow, question: Question, language: str) -> tuple[Choice, ...]:
    """The likely answers of `question` as buttons, and "something else"."""
    other = Choice(OTHER, flow.text("other", language))
    if question.kind == "role":
        found = [Choice(f"{CLARIFY}role:{key}", label[language]) for key, label in _ROLES]
    elif question.kind == "money":
        found = [Choice(f"{CLARIFY}money:{key}", label[language]) for key, label, *_ in _BUDGETS]
    elif question.kind == "timeline":
        found = [
            Choice(f"{CLARIFY}timeline:{key}", label[language]) for key, label, *_ in _TIMELINES
        ]
    else:
        return ()  # choice questions show their own options; free text has none
    return (*found, other)


def clarified(choice_id: str, now: datetime) -> tuple[str, Any] | None:
    """(kind, slot value) of a clarify button; None for "something else" or a stale id."""
    parts = choice_id.split(":")
    if len(parts) != 3 or parts[0] + ":" != CLARIFY:
        return None
    kind, key = parts[1], parts[2]
    if kind == "role" and key in dict(_ROLES):
        return kind, {"role": key, "confidence": 1.0}
    if kind == "money":
        for option, _, low, high in _BUDGETS:
            if option == key:
                budget = (
                    Budget(status="no_budget")
                    if key == "none"
                    else Budget(min=low, max=high, approx=True)
                )
                return kind, budget.model_dump(mode="json")
    if kind == "timeline":
        today = now.astimezone(JAKARTA).date()
        for bucket, _, first, last in _TIMELINES:
            if bucket == key:
                if first is None or last is None:
                    return kind, Timeline(bucket="no_plan").model_dump(mode="json")
                window = Timeline(
                    start=today + timedelta(days=first),
                    end=today + timedelta(days=last),
                    bucket=bucket,
                )
                return kind, window.model_dump(mode="json")
    return None
