"""Admin forms: the SDR and handoff-decision forms, validated at the edge with readable errors."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, get_args

from storage.handoffs import Decision

MAX_REASON_CHARS: Final = 1000
DECISIONS: Final[tuple[str, ...]] = get_args(Decision)
_TELEGRAM_CHAT_ID: Final = re.compile(r"^-?[0-9]{1,20}$")
_PHONE_NOISE: Final = re.compile(r"[\s\-().]")


@dataclass(frozen=True, slots=True)
class NewSdr:
    """A validated 'add SDR' form."""

    name: str
    telegram_chat_id: str | None
    whatsapp_number: str | None


def parse_sdr_form(form: Mapping[str, Any]) -> tuple[NewSdr | None, list[str]]:
    """The SDR form's values, or the problems to show next to it."""
    name = str(form.get("name", "")).strip()
    chat_id = str(form.get("telegram_chat_id", "")).strip()
    number = _PHONE_NOISE.sub("", str(form.get("whatsapp_number", ""))).removeprefix("+")
    problems = []
    if not name or len(name) > 200:
        problems.append("Name is required (at most 200 characters).")
    if chat_id and not _TELEGRAM_CHAT_ID.match(chat_id):
        problems.append("Telegram chat id must be a number, e.g. 123456789 or -1001234567890.")
    if number.startswith("0"):
        number = "62" + number[1:]  # a local Indonesian number; WhatsApp ids are 62...
    if number and not (number.isdigit() and 8 <= len(number) <= 15):
        problems.append("WhatsApp number must be 8-15 digits, e.g. 6281234567890.")
    if not chat_id and not number:
        problems.append("Give a Telegram chat id or a WhatsApp number: how handoffs reach them.")
    if problems:
        return None, problems
    return NewSdr(name, chat_id or None, number or None), []


def parse_decision(form: Mapping[str, Any]) -> tuple[Decision | None, str | None, str | None]:
    """(decision, reason, problem) from a decision form."""
    decision = str(form.get("decision", ""))
    reason = str(form.get("reason", "")).strip() or None
    if decision not in DECISIONS:
        return (
            None,
            None,
            f"Unknown decision {decision!r}; expected one of {', '.join(DECISIONS)}.",
        )
    if reason is not None and len(reason) > MAX_REASON_CHARS:
        return None, None, f"The reason is too long (at most {MAX_REASON_CHARS} characters)."
    if decision == "rejected" and reason is None:
        return None, None, "A rejection needs a reason."
    return decision, reason, None  # type: ignore[return-value]  # checked against DECISIONS
