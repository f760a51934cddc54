"""The handoff summary: what an SDR needs to act on a qualified lead at once (pure)."""

from datetime import datetime
from typing import Any

from dialogs import ConversationState, Flow
from dialogs.describe import describe_value
from scoring import EventKind, Score, Stage

_BANT = ("budget", "authority", "need", "timeline")
_FIT = ("company_size", "authority")


# why the lead reached an SDR, as the notice's headline
REASONS = {
    "sql": "🔥 New qualified lead",
    "human": "🙋 Asked to talk to a person",
    "demo": "🎬 Asked for a demo",
}


def next_step(state: ConversationState, score: Score) -> str:
    """What the SDR should do first, from what the prospect told us."""
    budget = state.slots.get("budget")
    authority = state.slots.get("authority")
    status = budget.value.get("status") if budget and isinstance(budget.value, dict) else None
    role = authority.value.get("role") if authority and isinstance(authority.value, dict) else None
    if state.status == "opted_out":
        return "Do not contact: they opted out."
    if state.handoff == "human":
        return "They asked for a person: reach them now, before anything else."
    if state.demo_requested:
        return "Book the demo they asked for; confirm a time within the SLA."
    if status == "pending_approval":
        return "Send a quote they can take to their approver; offer to join that meeting."
    if status == "unknown_wants_quote":
        return "Prepare a quote: they asked for pricing before committing to a budget."
    if role == "influencer":
        return "Call, then ask to bring the decision maker into a demo."
    if score.band.value == "hot":
        return "Call within the hour: strong fit and ready to buy."
    return "Call to confirm needs and propose a demo."


def build_summary(
    *,
    lead_id: str,
    channel: str,
    state: ConversationState,
    flow: Flow,
    score: Score,
    stage: Stage,
    source: str | None,
    transcript_url: str,
    now: datetime,
) -> dict[str, Any]:
    """Contact, company and fit, BANT in the prospect's words, pains, history, score, next step."""
    language = "en"  # SDRs read English summaries; the prospect's own words stay as written

    described: dict[str, str | None] = {}

    def value(slot: str) -> str | None:
        # each slot described once (fit and BANT share authority): summaries are rebuilt on
        # every turn that changes an open handoff's lead
        if slot in described:
            return described[slot]
        found = state.slots.get(slot)
        if found is None or found.status != "filled" or found.value is None:
            text = None
        else:
            # only a plain string value (an option id) is looked up among the question's
            # options; the lookup scans every question of the flow
            question = flow.question_for_slot(slot) if isinstance(found.value, str) else None
            text = describe_value(slot, found.value, language, question)
        described[slot] = text
        return text

    def text(slot: str) -> str | None:
        found = state.slots.get(slot)
        return str(found.value) if found and found.status == "filled" and found.value else None

    bant = {
        slot: {
            "value": value(slot) or "unknown",
            "words": state.slots[slot].raw if slot in state.slots else "",
        }
        for slot in _BANT
    }
    need = state.slots.get("need")
    pains = []
    if need is not None and isinstance(need.value, dict):
        pains = [p for p in (need.value.get("pain"), need.value.get("use_case")) if p]
    phone = state.slots.get("phone")
    email = state.slots.get("email")
    # the last ten moments, formatted once chosen (isoformat is the costly part)
    moments = sorted(
        [(slot.at, f"answered {name}") for name, slot in state.slots.items()]
        + [
            (entry.at, entry.reason)
            for entry in state.ledger
            if entry.kind is EventKind.ENGAGEMENT
        ],
        key=lambda moment: moment[0],
    )[-10:]
    history = [{"at": at.isoformat(), "event": event} for at, event in moments]
    referral = state.slots.get("referral")
    return {
        "lead_id": lead_id,
        "reason": state.handoff or "sql",
        "opted_out": state.status == "opted_out",
        "referral": referral.value
        if referral is not None and isinstance(referral.value, dict)
        else None,
        "contact": {
            "name": text("name"),
            "company": text("company"),
            "phone": phone.value.get("number")
            if phone and isinstance(phone.value, dict)
            else None,
            "email": email.value.get("address")
            if email and isinstance(email.value, dict)
            else None,
            "preferred": text("contact_method"),
            "channel": channel,
            "language": state.language,
            "source": source,
        },
        "fit": {slot: value(slot) for slot in _FIT if value(slot)},
        "bant": bant,
        "pains": pains,
        "history": history,
        "score": score.value,
        "band": score.band.value,
        "stage": stage.value,
        "reasons": score.explain(),
        "next_step": next_step(state, score),
        "transcript_url": transcript_url,
        "created_at": now.isoformat(),
    }


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as one plain-text message for an SDR's chat."""
    contact = summary["contact"]
    headline = REASONS.get(summary.get("reason") or "sql", REASONS["sql"])
    if summary.get("opted_out"):
        headline = "⛔ Opted out, do not contact"
    lines = [
        f"{headline}: {contact.get('name') or 'unknown'}"
        f" ({contact.get('company') or 'company unknown'})",
        f"Score {summary['score']} ({summary['band'].upper()}) via {contact['channel']}",
        "",
        "Contact:",
    ]
    for key in ("phone", "email", "preferred", "source"):
        if contact.get(key):
            lines.append(f"  {key}: {contact[key]}")
    if summary["fit"]:
        lines.append("Fit: " + ", ".join(f"{k}: {v}" for k, v in summary["fit"].items()))
    lines.append("BANT:")
    for slot, item in summary["bant"].items():
        words = f' — "{item["words"]}"' if item["words"] else ""
        lines.append(f"  {slot}: {item['value']}{words}")
    if summary["pains"]:
        lines.append("Pain: " + "; ".join(summary["pains"]))
    referral = summary.get("referral")
    if referral:
        found = [referral.get(k) for k in ("words", "phone", "email") if referral.get(k)]
        lines.append("Speaks for someone else: " + "; ".join(found))
    lines.append("Why: " + "; ".join(summary["reasons"][:6]))
    lines.append(f"Next step: {summary['next_step']}")
    lines.append(f"Transcript: {summary['transcript_url']}")
    return "\n".join(lines)
