"""Giving a handoff to an SDR (first routing, SLA reassignment, the admin): choose, assign,
record, and the outbox rows that bring the notice to the SDR's chats."""

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from dialogs import OutboundMessage
from handoff.routing import choose_sdr
from storage.database import Transaction
from storage.handoff_events import record_event
from storage.handoffs import Handoff, assign_sdr
from storage.leads import get_lead
from storage.rows import OutboxRow, new_id
from storage.sdrs import Sdr, mark_assigned, routing_candidates


async def assign_next(
    conn: Transaction,
    handoff: Handoff,
    *,
    now: datetime,
    exclude: Collection[int] = (),
    kind: str = "assigned",
) -> Sdr | None:
    """Give the open handoff to the next SDR who can take it (handoff.routing); None when
    there is nobody (other than `exclude`) or the handoff is no longer open."""
    lead = await get_lead(conn, handoff.lead_id)
    candidates = await routing_candidates(conn)
    language = lead.language if lead is not None else None
    sdr = choose_sdr(candidates, language=language, now=now, exclude=exclude)
    if sdr is None or not await assign_sdr(conn, handoff.id, sdr.id, at=now):
        return None
    await mark_assigned(conn, sdr.id, now)
    await record_event(conn, handoff.id, kind, at=now, sdr_id=sdr.id, detail={"sdr": sdr.name})
    return sdr


async def assign_to(conn: Transaction, handoff: Handoff, sdr: Sdr, *, now: datetime) -> bool:
    """Give the open handoff to this SDR (the admin's choice)."""
    if not await assign_sdr(conn, handoff.id, sdr.id, at=now):
        return False
    await mark_assigned(conn, sdr.id, now)
    await record_event(
        conn,
        handoff.id,
        "assigned",
        at=now,
        sdr_id=sdr.id,
        detail={"sdr": sdr.name, "by": "admin"},
    )
    return True


def sdr_targets(sdr: Sdr, channels: Collection[str]) -> list[tuple[str, str]]:
    """Where the SDR reads handoffs, among the channels that can deliver them."""
    targets: list[tuple[str, str]] = []
    if sdr.telegram_chat_id and "telegram" in channels:
        targets.append(("telegram", sdr.telegram_chat_id))
    if sdr.whatsapp_number and "whatsapp" in channels:
        targets.append(("whatsapp", sdr.whatsapp_number))
    return targets


def deliver_rows(
    handoff_id: str,
    targets: Sequence[tuple[str, str]],
    *,
    assignment: int,
    now: datetime,
    send_at: datetime | None = None,
) -> list[OutboxRow]:
    """One notice per target; keyed per assignment, so a handoff that comes back to an SDR
    after a reassignment reaches them again."""
    prefix = f"handoff:{handoff_id}" if assignment <= 1 else f"handoff:{handoff_id}:{assignment}"
    return [
        OutboxRow(
            dedup_key=f"{prefix}:{channel}:{target}",
            kind="handoff.deliver",
            channel=channel,
            target=target,
            payload={},
            handoff_id=handoff_id,
            next_attempt_at=send_at or now,
            created_at=now,
        )
        for channel, target in targets
    ]


def message_payload(message: OutboundMessage) -> dict[str, Any]:
    return {
        "text": message.text,
        "choices": [{"id": c.id, "label": c.label} for c in message.choices],
    }


def note_row(
    channel: str,
    target: str,
    message: OutboundMessage,
    *,
    now: datetime,
    send_at: datetime | None = None,
    handoff_id: str | None = None,
) -> OutboxRow:
    """A note to an SDR's (or a manager's) chat, sent from the outbox in chat order."""
    return OutboxRow(
        dedup_key=f"note:{new_id()}",
        kind="note",
        channel=channel,
        target=target,
        payload=message_payload(message),
        handoff_id=handoff_id,
        next_attempt_at=send_at or now,
        created_at=now,
    )


def who(summary: dict[str, Any]) -> str:
    """ "Budi (PT Maju Jaya)" for a note about the handoff."""
    contact = summary.get("contact") or {}
    name = contact.get("name") or "A lead"
    company = contact.get("company")
    return f"{name} ({company})" if company else str(name)


async def hand_to(
    conn: Transaction,
    handoff: Handoff,
    sdr: Sdr,
    *,
    now: datetime,
    channels: Collection[str],
    previous: Sdr | None = None,
) -> list[OutboxRow] | None:
    """The admin gives an open handoff to this SDR: the notice to them (with its buttons, the
    SLA clock restarted) and a note to the SDR who had it; None if it is not open."""
    if not await assign_to(conn, handoff, sdr, now=now):
        return None
    rows = deliver_rows(
        handoff.id, sdr_targets(sdr, channels), assignment=handoff.assignment + 1, now=now
    )
    if previous is not None and previous.id != sdr.id:
        text = f"↪️ {who(handoff.summary)} was given to {sdr.name} by an admin."
        rows += [
            note_row(channel, target, OutboundMessage(text), now=now, handoff_id=handoff.id)
            for channel, target in sdr_targets(previous, channels)
        ]
    return rows
