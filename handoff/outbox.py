"""The outbox worker: claims due notifications and delivers them, retrying with backoff.

Rows are written in the same transaction as the turn that caused them, so a crash never
loses a handoff. Each row is marked sent right after its one successful send; a send is
retried only when it failed, after the platform's `retry_after` or an exponential backoff.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncConnection

from dialogs import Choice, DeliveryError, OutboundMessage, Sender
from handoff.notifiers import Notifier
from storage import handoffs as handoff_store
from storage import messages as message_store
from storage import outbox as outbox_store
from storage.rows import OutboxRow
from storage.sdrs import choose_next_sdr

logger = logging.getLogger(__name__)
Job = Callable[[AsyncConnection], Awaitable[Any]]
Run = Callable[[Job], Awaitable[Any]]
MAX_ATTEMPTS: Final = 8
MAX_BACKOFF: Final = timedelta(hours=1)
BATCH: Final = 32


def backoff(attempts: int) -> timedelta:
    """2, 4, 8 ... seconds after each failed attempt, capped at an hour."""
    return min(timedelta(seconds=2**attempts), MAX_BACKOFF)


def reply_row(
    *, message_id: str, channel: str, target: str, message: OutboundMessage, now: datetime
) -> OutboxRow:
    """A prospect reply that could not be sent at once, queued for another try."""
    return OutboxRow(
        dedup_key=f"reply:{message_id}",
        kind="reply",
        channel=channel,
        target=target,
        payload={
            "message_id": message_id,
            "text": message.text,
            "choices": [{"id": c.id, "label": c.label} for c in message.choices],
        },
        handoff_id=None,
        next_attempt_at=now,
        created_at=now,
    )


class OutboxWorker:
    """Delivers handoffs to SDRs (and retries prospect replies) through the outbox."""

    def __init__(
        self,
        run: Run,
        *,
        notifiers: Mapping[str, Notifier],
        senders: Mapping[str, Sender],
        group_targets: Sequence[tuple[str, str]] = (),
        clock: Callable[[], datetime],
    ) -> None:
        self._run = run  # runs a job in the single writer's transaction
        self._notifiers = notifiers
        self._senders = senders
        self._group_targets = tuple(group_targets)  # (channel, target) when no SDR is set up
        self._clock = clock
        self.wake = asyncio.Event()

    async def run_forever(self, interval: float = 1.0) -> None:
        """Deliver what is due, then sleep until woken or `interval` passes."""
        while True:
            try:
                while await self.run_once():
                    pass
            except Exception:
                logger.exception("outbox pass failed; trying again in %.0f s", interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), interval)
            self.wake.clear()

    async def run_once(self) -> int:
        """Claim and deliver one batch of due rows; how many were claimed."""
        now = self._clock()
        items: list[outbox_store.OutboxItem] = await self._run(
            lambda conn: outbox_store.claim_due(conn, now, BATCH)
        )
        if items:
            async with asyncio.TaskGroup() as tasks:
                for item in items:
                    tasks.create_task(self._deliver(item))
        return len(items)

    async def _deliver(self, item: outbox_store.OutboxItem) -> None:
        try:
            if item.kind == "handoff.route":
                await self._route(item)
            elif item.kind == "handoff.deliver":
                await self._notify(item)
            elif item.kind == "reply":
                await self._reply(item)
            else:
                await self._run(lambda c: outbox_store.mark_dead(c, item.id, "unknown kind"))
        except DeliveryError as e:
            await self._failed(item, e)

    async def _route(self, item: outbox_store.OutboxItem) -> None:
        """Assign the handoff to the next SDR and queue one delivery per place they read."""
        handoff_id = item.handoff_id or ""
        now = self._clock()

        async def route(conn: AsyncConnection) -> int:
            sdr = await choose_next_sdr(conn, now)
            targets: list[tuple[str, str]] = list(self._group_targets)
            if sdr is not None:
                await handoff_store.assign_sdr(conn, handoff_id, sdr.id)
                targets = []
                if sdr.telegram_chat_id:
                    targets.append(("telegram", sdr.telegram_chat_id))
                if sdr.whatsapp_number:
                    targets.append(("whatsapp", sdr.whatsapp_number))
            targets = [
                (channel, target) for channel, target in targets if channel in self._notifiers
            ]
            rows = [
                OutboxRow(
                    dedup_key=f"handoff:{handoff_id}:{channel}:{target}",
                    kind="handoff.deliver",
                    channel=channel,
                    target=target,
                    payload={},
                    handoff_id=handoff_id,
                    next_attempt_at=now,
                    created_at=now,
                )
                for channel, target in targets
            ]
            await outbox_store.enqueue(conn, rows)
            if not rows:
                # nobody to notify: the handoff waits in the admin inbox
                await handoff_store.set_delivery(conn, handoff_id, {"inbox": "only"})
            await outbox_store.mark_sent(conn, item.id, None, now)
            return len(rows)

        if await self._run(route):
            self.wake.set()

    async def _notify(self, item: outbox_store.OutboxItem) -> None:
        notifier = self._notifiers.get(item.channel)
        handoff = await self._run(
            lambda conn: handoff_store.get_handoff(conn, item.handoff_id or "")
        )
        if notifier is None or handoff is None:
            reason = "no notifier for " + item.channel if notifier is None else "no such handoff"
            await self._run(lambda c: outbox_store.mark_dead(c, item.id, reason))
            return
        sent_id = await notifier.notify(item.target, handoff.id, handoff.summary)
        now = self._clock()
        key = f"{item.channel}:{item.target}"

        async def done(conn: AsyncConnection) -> None:
            await outbox_store.mark_sent(conn, item.id, sent_id, now)
            current = await handoff_store.get_handoff(conn, handoff.id)
            delivery = dict(current.delivery or {}) if current else {}
            delivery[key] = {"status": "sent", "message_id": sent_id, "at": now.isoformat()}
            await handoff_store.set_delivery(conn, handoff.id, delivery)

        await self._run(done)
        logger.info("handoff %s delivered to %s", handoff.id, item.channel)

    async def _reply(self, item: outbox_store.OutboxItem) -> None:
        sender = self._senders.get(item.channel)
        if sender is None:
            await self._run(lambda c: outbox_store.mark_dead(c, item.id, "no sender"))
            return
        payload = item.payload
        message = OutboundMessage(
            text=str(payload["text"]),
            choices=tuple(Choice(c["id"], c["label"]) for c in payload.get("choices", [])),
        )
        sent_id = await sender.send(item.target, message)
        now = self._clock()

        async def done(conn: AsyncConnection) -> None:
            await outbox_store.mark_sent(conn, item.id, sent_id, now)
            await message_store.record_sent(conn, [(str(payload["message_id"]), sent_id)], now)

        await self._run(done)

    async def _failed(self, item: outbox_store.OutboxItem, error: DeliveryError) -> None:
        now = self._clock()
        reason = str(error)[:500]
        if error.permanent or item.attempts >= MAX_ATTEMPTS:
            logger.warning("outbox %s (%s) gave up: %s", item.id, item.kind, reason)

            async def dead(conn: AsyncConnection) -> None:
                await outbox_store.mark_dead(conn, item.id, reason)
                if item.handoff_id:
                    current = await handoff_store.get_handoff(conn, item.handoff_id)
                    delivery = dict(current.delivery or {}) if current else {}
                    # the notifier failed: the handoff falls back to the admin inbox
                    delivery[f"{item.channel}:{item.target}"] = {
                        "status": "failed",
                        "error": reason,
                        "at": now.isoformat(),
                    }
                    await handoff_store.set_delivery(conn, item.handoff_id, delivery)

            await self._run(dead)
            return
        wait = (
            timedelta(seconds=error.retry_after)
            if error.retry_after is not None
            else backoff(item.attempts)
        )
        logger.info("outbox %s retry in %s: %s", item.id, wait, reason)
        await self._run(lambda c: outbox_store.mark_retry(c, item.id, now + wait, reason))
