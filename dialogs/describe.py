"""Slot values in words, for "Noted: ..." confirmations and handoff summaries."""

from datetime import date
from typing import Any

from dialogs.flow.schema import Question

_MONTHS = {
    "id": "Jan Feb Mar Apr Mei Jun Jul Agu Sep Okt Nov Des".split(),
    "en": "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(),
}
_PERIOD = {
    "monthly": {"id": " per bulan", "en": " per month"},
    "yearly": {"id": " per tahun", "en": " per year"},
}
_BUDGET_STATUS = {
    "no_budget": {"id": "belum ada anggaran", "en": "no budget yet"},
    "refused": {"id": "anggaran tidak disebutkan", "en": "budget not shared"},
    "unknown_wants_quote": {"id": "menunggu penawaran", "en": "waiting for a quote"},
    "pending_approval": {"id": "anggaran sedang diajukan", "en": "budget pending approval"},
}
_ROLE = {
    "decision_maker": {"id": "pengambil keputusan", "en": "decision maker"},
    "co_decision_maker": {"id": "ikut memutuskan", "en": "shares the decision"},
    "influencer": {"id": "memberi rekomendasi", "en": "influences the decision"},
    "gatekeeper": {"id": "perantara", "en": "gatekeeper"},
    "researcher": {"id": "sedang riset", "en": "researching"},
    "not_a_buyer": {"id": "bukan pembeli", "en": "not a buyer"},
    "unknown": {"id": "peran belum jelas", "en": "role unclear"},
}
_BUCKET = {
    "immediate_<=2w": {"id": "secepatnya", "en": "as soon as possible"},
    "no_plan": {"id": "belum ada rencana", "en": "no plan yet"},
    "unknown": {"id": "waktu belum jelas", "en": "timing unclear"},
    "needs_clarification": {"id": "waktu perlu dikonfirmasi", "en": "timing to confirm"},
}
_NEED = {
    "high": {"id": "mendesak", "en": "urgent"},
    "medium": {"id": "jelas", "en": "clear"},
    "low": {"id": "belum mendesak", "en": "not urgent yet"},
    "none": {"id": "belum ada", "en": "none yet"},
    "unknown": {"id": "belum jelas", "en": "unclear"},
}
_LABEL = {
    "budget": {"id": "anggaran", "en": "budget"},
    "timeline": {"id": "mulai", "en": "start"},
    "authority": {"id": "peran", "en": "role"},
    "need": {"id": "kebutuhan", "en": "need"},
    "email": {"id": "email", "en": "email"},
    "phone": {"id": "telepon", "en": "phone"},
    "name": {"id": "nama", "en": "name"},
    "company": {"id": "perusahaan", "en": "company"},
    "company_size": {"id": "jumlah karyawan", "en": "company size"},
    "contact_method": {"id": "dihubungi lewat", "en": "contact by"},
    "consent": {"id": "persetujuan", "en": "consent"},
}


def money(amount: int, currency: str = "IDR", language: str = "id") -> str:
    """Rp 1,5 M / Rp 50 jt / Rp 750 rb, or USD 10,000."""
    if currency != "IDR":
        return f"{currency} {amount:,}"
    for size, unit in ((10**9, "M"), (10**6, "jt"), (10**3, "rb")):
        if amount >= size:
            value = f"{amount / size:.2f}".rstrip("0").rstrip(".")
            if language == "id":
                value = value.replace(".", ",")
            return f"Rp {value} {unit}"
    return f"Rp {amount}"


def _date(value: str, language: str) -> str:
    day = date.fromisoformat(value)
    return f"{_MONTHS[language][day.month - 1]} {day.year}"


def describe_budget(value: dict[str, Any], language: str) -> str:
    status = value.get("status", "stated")
    if status in _BUDGET_STATUS:
        return _BUDGET_STATUS[status][language]
    low, high, currency = value.get("min"), value.get("max"), value.get("currency", "IDR")
    about = ("sekitar " if language == "id" else "about ") if value.get("approx") else ""
    if low is not None and high is not None and low != high:
        text = f"{money(low, currency, language)}-{money(high, currency, language)}"
    elif high is not None:
        text = money(high, currency, language)
        if low is None:
            about = "maks. " if language == "id" else "up to "
    elif low is not None:
        text = money(low, currency, language)
    else:
        return _BUDGET_STATUS["unknown_wants_quote"][language]
    period = _PERIOD.get(value.get("period") or "", {}).get(language, "")
    return f"{about}{text}{period}"


def describe_timeline(value: dict[str, Any], language: str) -> str:
    bucket = value.get("bucket", "unknown")
    if bucket in _BUCKET:
        return _BUCKET[bucket][language]
    start, end = value.get("start"), value.get("end")
    if isinstance(start, str) and isinstance(end, str):
        first, last = _date(start, language), _date(end, language)
        return first if first == last else f"{first} - {last}"
    return _BUCKET["unknown"][language]


def describe_value(slot: str, value: Any, language: str, question: Question | None) -> str:
    """One slot's value in words, in the prospect's language."""
    if slot == "budget" and isinstance(value, dict):
        return describe_budget(value, language)
    if slot == "timeline" and isinstance(value, dict):
        return describe_timeline(value, language)
    if slot == "authority" and isinstance(value, dict):
        role = _ROLE.get(str(value.get("role")), _ROLE["unknown"])[language]
        title = value.get("title")
        return f"{title} ({role})" if title else role
    if slot == "need" and isinstance(value, dict):
        about = value.get("use_case") or value.get("pain")
        if about:
            return str(about)
        return _NEED.get(str(value.get("level")), _NEED["unknown"])[language]
    if isinstance(value, dict):
        for key in ("address", "number", "use_case", "pain", "level"):
            if value.get(key):
                return str(value[key])
        return ", ".join(f"{k}={v}" for k, v in value.items() if v)
    if question is not None and isinstance(value, str):
        option = next((o for o in question.options if o.id == value), None)
        if option is not None:
            return option.label.get(language, option.id)
    if isinstance(value, bool):
        return ("ya" if value else "tidak") if language == "id" else ("yes" if value else "no")
    return str(value)


def describe_slot(slot: str, value: Any, language: str, question: Question | None) -> str:
    """`anggaran sekitar Rp 100 jt`: label and value, for confirmations."""
    label = _LABEL.get(slot, {}).get(language, slot.replace("_", " "))
    return f"{label} {describe_value(slot, value, language, question)}"
