"""Facts about a lead, derived from its slots: attributes for fit rules and BANT for stages."""

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from dialogs.state import ConversationState, SlotValue
from scoring import Attribute, Qualification

JAKARTA = ZoneInfo("Asia/Jakarta")
# no amount, but nothing against buying: being approved, flexible, a quote first, not told
_BUDGET_PATH = {"pending_approval", "flexible", "unknown_wants_quote", "refused"}
_DAYS_PER_MONTH = 30.44
# a tuple, not `str | int | float | bool`: isinstance on a union is several times slower,
# and this runs for every field of every slot on most messages
_SCALAR = (str, int, float, bool, type(None))


def in_rupiah(budget: dict[str, Any], rates: Mapping[str, float]) -> dict[str, Any]:
    """A budget dump with its amounts in Rupiah at `rates` (unchanged when IDR, or when the
    currency has no rate: then it scores as written)."""
    currency = budget.get("currency") or "IDR"
    rate = rates.get(currency)
    if currency == "IDR" or rate is None:
        return budget
    converted = dict(budget)
    for key in ("min", "max"):
        if isinstance(budget.get(key), int | float):
            converted[key] = round(budget[key] * rate)
    return converted


def attributes(
    slots: dict[str, SlotValue], now: datetime, rates: Mapping[str, float] | None = None
) -> dict[str, Attribute]:
    """Flatten slots to `slot` and `slot.field` attributes, the names fit rules use; budget
    amounts in Rupiah (`rates`: Rupiah per unit of a foreign currency)."""
    out: dict[str, Attribute] = {}
    for name, slot in slots.items():
        if slot.status != "filled":
            continue
        value = slot.value
        if name == "budget" and isinstance(value, dict) and rates:
            value = in_rupiah(value, rates)
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, _SCALAR):
                    out[f"{name}.{key}"] = item
        elif isinstance(value, _SCALAR) and value is not None:
            out[name] = value
    months = months_to_start(slots.get("timeline"), now)
    if months is not None:
        out["timeline.months"] = months
    return out


def months_to_start(slot: SlotValue | None, now: datetime) -> float | None:
    """Months from today (Jakarta) to the start of the timeline window."""
    if slot is None or slot.status != "filled" or not isinstance(slot.value, dict):
        return None
    bucket = slot.value.get("bucket")
    if bucket == "immediate_<=2w":
        return 0.0
    start = slot.value.get("start")
    if not isinstance(start, str):
        return None
    today = now.astimezone(JAKARTA).date()
    return max(0.0, (date.fromisoformat(start) - today).days / _DAYS_PER_MONTH)


def _dict(slot: SlotValue | None) -> dict[str, Any]:
    if slot is None or slot.status != "filled" or not isinstance(slot.value, dict):
        return {}
    return slot.value


def qualification(
    state: ConversationState,
    score: int,
    now: datetime,
    rates: Mapping[str, float] | None = None,
) -> Qualification:
    """The BANT facts the stage rules read (a budget in Rupiah at `rates`)."""
    budget = in_rupiah(_dict(state.slots.get("budget")), rates or {})
    amount = budget.get("max") if budget.get("max") is not None else budget.get("min")
    stated = budget.get("status") in {"stated", "tentative", "flexible"}
    return Qualification(
        score=score,
        budget_amount=amount if isinstance(amount, int) and stated else None,
        budget_path=budget.get("status") in _BUDGET_PATH,
        no_budget=budget.get("status") == "no_budget",
        authority_role=_dict(state.slots.get("authority")).get("role"),
        need_level=_dict(state.slots.get("need")).get("level"),
        months_to_start=months_to_start(state.slots.get("timeline"), now),
        demo_requested=state.demo_requested,
        opted_out=state.status == "opted_out",
        not_qualified=state.status == "closed",
    )
