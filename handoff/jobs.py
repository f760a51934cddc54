"""Time-driven handoff steps (the SLA), run by the one scheduler: `serve` every few seconds
and `qualibot jobs run-due [--now]` once.

Each step is taken in a transaction of its own that locks the handoff and records the step's
event under a unique key ("remind:<assignment>"): whichever worker records it first does the
step and enqueues what it sends in the same transaction; everyone else (another worker, a
second run for the same time) finds the key taken and does nothing. Messages leave from the
outbox, like every other message.
"""

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from dialogs import Flow, OutboundMessage
from handoff.assignment import assign_next, deliver_rows, note_row, sdr_targets, who
from handoff.crm import CrmEvents, handoff_data
from handoff.notifiers import decision_choice
from handoff.sla import SlaPolicy, Step, due_step, step_key
from storage import outbox as outbox_store
from storage.database import Transaction
from storage.handoff_events import record_event
from storage.handoffs import Handoff, lock_handoff, sla_watch
from storage.rows import OutboxRow
from storage.sdrs import Sdr, get_sdr, list_sdrs

Job = Callable[[Transaction], Awaitable[Any]]
Run = Callable[[Job], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class SlaSetup:
    """What the SLA steps need: the policy, the channels that deliver notices, who else is
    told of an escalation ((channel, chat) pairs) and the CRM event sink."""

    policy: SlaPolicy = field(default_factory=SlaPolicy)
    channels: frozenset[str] = frozenset()
    escalation: tuple[tuple[str, str], ...] = ()
    crm: CrmEvents = field(default_factory=CrmEvents)
    retention_days: int | None = None  # erase leads inactive this long (handoff.privacy)
    flow: Flow | None = None  # its nurture sequence and nudge (handoff.followups); None: off


def escalation_targets(ids: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """QUALIBOT_SLA__ESCALATION_CHAT_IDS entries: a Telegram chat id, or whatsapp:<number>."""
    targets: list[tuple[str, str]] = []
    for item in ids:
        channel, sep, address = item.partition(":")
        targets.append((channel, address) if sep and channel == "whatsapp" else ("telegram", item))
    return tuple(targets)


async def run_due(
    run: Run, *, now: datetime, setup: SlaSetup, send_at: datetime | None = None
) -> list[dict[str, Any]]:
    """Take every SLA step due at `now`, once; one action (a JSON-able dict) per step taken.

    `send_at`: when what the steps send is due in the outbox (default `now`; a run for a
    future `now` sends at once)."""
    watch: list[Handoff] = await run(sla_watch)
    sdrs: dict[int, Sdr] = {sdr.id: sdr for sdr in await run(list_sdrs)}
    actions: list[dict[str, Any]] = []
    for handoff in watch:
        sdr = sdrs.get(handoff.sdr_id) if handoff.sdr_id is not None else None
        if due_step(handoff, sdr, now, setup.policy) is None:
            continue
        handoff_id = handoff.id

        async def take(conn: Transaction, handoff_id: str = handoff_id) -> Any:
            return await _take(conn, handoff_id, now=now, setup=setup, send_at=send_at or now)

        action = await run(take)
        if action is not None:
            actions.append(action)
    return actions


async def _take(
    conn: Transaction, handoff_id: str, *, now: datetime, setup: SlaSetup, send_at: datetime
) -> dict[str, Any] | None:
    handoff = await lock_handoff(conn, handoff_id)
    if handoff is None:
        return None
    sdr = await get_sdr(conn, handoff.sdr_id) if handoff.sdr_id is not None else None
    step = due_step(handoff, sdr, now, setup.policy)
    if step is None or sdr is None:
        return None
    if not await record_event(
        conn, handoff.id, step, at=now, sdr_id=sdr.id, key=step_key(step, handoff)
    ):
        return None  # taken already, here or by another worker
    rows: list[OutboxRow] = []
    action: dict[str, Any] = {
        "job": f"sla.{step}",
        "handoff_id": handoff.id,
        "sdr_id": sdr.id,
        "sdr": sdr.name,
        "at": now.isoformat(),
    }
    if step == "reassign":
        rows, extra = await _reassign(conn, handoff, sdr, now=now, setup=setup, send_at=send_at)
        action.update(extra)
    else:
        rows = _reminders(step, handoff, sdr, now=now, setup=setup, send_at=send_at)
    await outbox_store.enqueue(conn, rows)
    action["messages"] = sum(1 for row in rows if row.kind != "crm")
    return action


def _minutes(policy: SlaPolicy, times: int = 1) -> int:
    return int((policy.accept * times).total_seconds() // 60)


def _to(
    targets: Collection[tuple[str, str]],
    message: OutboundMessage,
    *,
    handoff_id: str,
    now: datetime,
    send_at: datetime,
    channels: Collection[str],
) -> list[OutboxRow]:
    return [
        note_row(channel, target, message, now=now, send_at=send_at, handoff_id=handoff_id)
        for channel, target in targets
        if channel in channels
    ]


def _reminders(
    step: Step, handoff: Handoff, sdr: Sdr, *, now: datetime, setup: SlaSetup, send_at: datetime
) -> list[OutboxRow]:
    lead = who(handoff.summary)
    channels = setup.channels
    targets = sdr_targets(sdr, channels)

    def tell(targets: Collection[tuple[str, str]], message: OutboundMessage) -> list[OutboxRow]:
        return _to(
            targets, message, handoff_id=handoff.id, now=now, send_at=send_at, channels=channels
        )

    if step == "remind":
        message = OutboundMessage(
            f"⏰ Reminder: {lead} has waited {_minutes(setup.policy)} min for you to accept. "
            "Accept or reject:",
            (
                decision_choice("accept", handoff.id, "✅ Accept"),
                decision_choice("reject", handoff.id, "❌ Reject"),
            ),
        )
        return tell(targets, message)
    hours = int(setup.policy.first_contact.total_seconds() // 3600)
    if step == "contact_remind":
        message = OutboundMessage(
            f"⏰ Reminder: you accepted {lead}, and nobody has written to them yet "
            f"(first contact within {hours} h). Reply to the handoff notice to write to them "
            "through the bot."
        )
        return tell(targets, message)
    missed = OutboundMessage(
        f"⚠️ First contact missed: {sdr.name} accepted {lead} {hours} h ago and has not "
        "written to them yet."
    )
    return tell([*targets, *setup.escalation], missed)


async def _reassign(
    conn: Transaction,
    handoff: Handoff,
    sdr: Sdr,
    *,
    now: datetime,
    setup: SlaSetup,
    send_at: datetime,
) -> tuple[list[OutboxRow], dict[str, Any]]:
    lead = who(handoff.summary)
    waited = _minutes(setup.policy, 2)
    channels = setup.channels

    def tell(targets: Collection[tuple[str, str]], message: OutboundMessage) -> list[OutboxRow]:
        return _to(
            targets, message, handoff_id=handoff.id, now=now, send_at=send_at, channels=channels
        )

    successor = await assign_next(conn, handoff, now=now, exclude={sdr.id}, kind="reassigned")
    if successor is None:
        message = OutboundMessage(
            f"⚠️ {lead} has not been accepted by {sdr.name} within {waited} min, and no other "
            "SDR is available. It stays with them."
        )
        rows = tell([*sdr_targets(sdr, channels), *setup.escalation], message)
        return rows, {"to_sdr_id": None}
    rows = deliver_rows(
        handoff.id,
        sdr_targets(successor, channels),
        assignment=handoff.assignment + 1,
        now=now,
        send_at=send_at,
    )
    told = OutboundMessage(
        f"↪️ {lead} was not accepted within {waited} min and now goes to {successor.name}. "
        "Their decision counts from now."
    )
    rows += tell(sdr_targets(sdr, channels), told)
    manager = OutboundMessage(
        f"⚠️ {lead} was not accepted by {sdr.name} within {waited} min; reassigned to "
        f"{successor.name}."
    )
    rows += tell(setup.escalation, manager)
    rows += setup.crm.rows(
        "handoff.reassigned",
        handoff_data(
            handoff.id,
            handoff.lead_id,
            from_sdr={"id": sdr.id, "name": sdr.name},
            to_sdr={"id": successor.id, "name": successor.name},
        ),
        now=now,
    )
    return rows, {"to_sdr_id": successor.id, "to_sdr": successor.name}
