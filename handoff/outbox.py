"""The outbox worker: claims due messages and notifications and delivers them, with backoff.

Every message that leaves after the webhook was answered is an outbox row: prospect replies
(written in the same transaction as the turn that produced them), notes to SDRs, handoff
routing and notices. So a crash after the 200 loses nothing: whatever was not marked sent is
claimed again once its lease ends, by this process after a restart or by any other worker.
Each row is marked sent right after its one successful send; a send is retried only when it
failed, after the platform's `retry_after` or an exponential backoff. A chat's messages go out
in order, one at a time (storage.outbox.claim_due claims only the head of each chat's queue).
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from dialogs import Choice, DeliveryError, OutboundMessage, Sender
from dialogs.texts import render_text
from handoff.assignment import assign_next, deliver_rows, sdr_targets
from handoff.crm import KIND as CRM_KIND
from handoff.crm import SIGNATURE_HEADER, WebhookPoster, event_body, sign
from handoff.notifiers import Notifier
from storage import handoffs as handoff_store
from storage import leads as lead_store
from storage import messages as message_store
from storage import outbox as outbox_store
from storage.database import Transaction
from storage.rows import OutboxRow, new_id
from storage.sdrs import get_sdr

logger = logging.getLogger(__name__)
Job = Callable[[Transaction], Awaitable[Any]]
Run = Callable[[Job], Awaitable[Any]]
MAX_ATTEMPTS: Final = 8
# A CRM endpoint may be down for hours (a deploy, an outage): its events keep trying for
# about 14 hours (2 s, 4 s ... then hourly) before they are given up.
CRM_MAX_ATTEMPTS: Final = 24
MAX_BACKOFF: Final = timedelta(hours=1)
BATCH: Final = 32
MAX_IN_FLIGHT: Final = 64
# A claimed row is someone's for this long; then any worker may take it again. Longer than
# any one send may take (the HTTP clients time out after 30 s).
LEASE: Final = timedelta(seconds=45)


def backoff(attempts: int) -> timedelta:
    """2, 4, 8 ... seconds after each failed attempt, capped at an hour."""
    return min(timedelta(seconds=2**attempts), MAX_BACKOFF)


def _message_payload(message: OutboundMessage) -> dict[str, Any]:
    return {
        "text": message.text,
        "choices": [{"id": c.id, "label": c.label} for c in message.choices],
    }


def reply_row(
    *, message_id: str, channel: str, target: str, message: OutboundMessage, now: datetime
) -> OutboxRow:
    """A reply to a prospect, written with the turn; `message_id` is its messages row."""
    return OutboxRow(
        dedup_key=f"reply:{message_id}",
        kind="reply",
        channel=channel,
        target=target,
        payload={"message_id": message_id, **_message_payload(message)},
        handoff_id=None,
        next_attempt_at=now,
        created_at=now,
    )


def note_rows(
    *, channel: str, target: str, messages: Sequence[OutboundMessage], now: datetime
) -> list[OutboxRow]:
    """Notes to an SDR's chat (a decision's confirmation, help), in this order."""
    return [
        OutboxRow(
            dedup_key=f"note:{new_id()}",
            kind="note",
            channel=channel,
            target=target,
            payload=_message_payload(message),
            handoff_id=None,
            next_attempt_at=now,
            created_at=now,
        )
        for message in messages
    ]


def _message_of(payload: dict[str, Any]) -> OutboundMessage:
    return OutboundMessage(
        text=str(payload["text"]),
        choices=tuple(Choice(c["id"], c["label"]) for c in payload.get("choices", [])),
    )


class OutboxWorker:
    """Delivers everything in the outbox: prospect replies, notes to SDRs and handoffs."""

    def __init__(
        self,
        run: Run,
        *,
        notifiers: Mapping[str, Notifier],
        senders: Mapping[str, Sender],
        note_senders: Mapping[str, Sender] | None = None,
        group_targets: Sequence[tuple[str, str]] = (),
        clock: Callable[[], datetime],
        lease: timedelta = LEASE,
        poster: WebhookPoster | None = None,
        webhook_secret: str = "",
    ) -> None:
        self._run = run  # runs a job in the single writer's transaction
        self._notifiers = notifiers
        self._senders = senders  # prospect replies, per channel
        self._note_senders = senders if note_senders is None else note_senders  # SDR chats
        self._group_targets = tuple(group_targets)  # (channel, target) when no SDR is set up
        self._clock = clock
        self._lease = lease
        self._poster = poster  # CRM webhooks
        self._webhook_secret = webhook_secret
        self._in_flight: set[asyncio.Task[None]] = set()
        self._claiming = 0
        self.wake = asyncio.Event()

    async def run_forever(self, interval: float = 1.0) -> None:
        """Keep claiming what is due and deliver it in the background; sleep until woken
        (a turn queued something, a delivery finished) or `interval` passes."""
        while True:
            try:
                await self._pump()
            except Exception:
                logger.exception("outbox pass failed; trying again in %.0f s", interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), interval)
            self.wake.clear()

    async def _pump(self) -> None:
        while (room := MAX_IN_FLIGHT - len(self._in_flight)) > 0:
            items = await self._claim(min(BATCH, room))
            for item in items:
                task = asyncio.create_task(self._deliver(item))
                self._in_flight.add(task)
                task.add_done_callback(self._delivered)
            if len(items) < min(BATCH, room):
                return

    def _delivered(self, task: "asyncio.Task[None]") -> None:
        self._in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("outbox delivery failed", exc_info=task.exception())
        self.wake.set()  # the chat's next message may be due now

    async def _claim(self, limit: int) -> list[outbox_store.OutboxItem]:
        now = self._clock()
        self._claiming += 1
        try:
            items: list[outbox_store.OutboxItem] = await self._run(
                lambda conn: outbox_store.claim_due(conn, now, limit, lease=self._lease)
            )
        finally:
            self._claiming -= 1
        return items

    async def run_once(self) -> int:
        """Claim and deliver one batch of due rows, waiting for it; how many were claimed."""
        items = await self._claim(BATCH)
        if items:
            async with asyncio.TaskGroup() as tasks:
                for item in items:
                    tasks.create_task(self._deliver(item))
        return len(items)

    async def settle(self) -> None:
        """Deliver everything due now, and what that makes due (a chat's next message),
        until nothing is left; deliveries of the background loop included (tests, shutdown)."""
        while True:
            claimed = await self.run_once()
            if self._in_flight:
                await asyncio.gather(*list(self._in_flight), return_exceptions=True)
            elif not claimed and not self._claiming:
                return
            else:
                await asyncio.sleep(0)

    async def stop(self, grace: timedelta = timedelta(seconds=10)) -> None:
        """Let deliveries in flight finish (a cancelled one is sent again after its lease)."""
        if not self._in_flight:
            return
        _, pending = await asyncio.wait(list(self._in_flight), timeout=grace.total_seconds())
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _deliver(self, item: outbox_store.OutboxItem) -> None:
        try:
            if item.kind == "handoff.route":
                await self._route(item)
            elif item.kind == "handoff.deliver":
                await self._notify(item)
            elif item.kind in ("handoff.update", "handoff.withdraw"):
                await self._tell(item)
            elif item.kind == "reply":
                await self._message(item, self._senders)
            elif item.kind == "note":
                await self._message(item, self._note_senders)
            elif item.kind == CRM_KIND:
                await self._post(item)
            else:
                await self._run(lambda c: outbox_store.mark_dead(c, item.id, "unknown kind"))
        except DeliveryError as e:
            await self._failed(item, e)

    async def _route(self, item: outbox_store.OutboxItem) -> None:
        """Assign the handoff to the next SDR and queue one delivery per place they read."""
        handoff_id = item.handoff_id or ""
        now = self._clock()

        async def route(conn: Transaction) -> int:
            handoff = await handoff_store.get_handoff(conn, handoff_id)
            sdr = None
            if handoff is not None and handoff.sdr_id is not None:
                sdr = await get_sdr(conn, handoff.sdr_id)  # assigned meanwhile (the admin)
            elif handoff is not None:
                sdr = await assign_next(conn, handoff, now=now)
                if sdr is not None:
                    await self._introduce(conn, handoff_id, sdr.name, now)
            targets = [
                (channel, target)
                for channel, target in self._group_targets
                if channel in self._notifiers
            ]
            if sdr is not None:
                targets = sdr_targets(sdr, self._notifiers)
            rows = deliver_rows(handoff_id, targets, assignment=1, now=now)
            await outbox_store.enqueue(conn, rows)
            if not rows:
                # nobody to notify: the handoff waits in the admin inbox
                await handoff_store.set_delivery(conn, handoff_id, {"inbox": "only"})
            await outbox_store.mark_sent(conn, item.id, None, now)
            return len(rows)

        if await self._run(route):
            self.wake.set()

    async def _introduce(
        self, conn: Transaction, handoff_id: str, sdr_name: str, now: datetime
    ) -> None:
        """Tell the prospect who will contact them, once an SDR has the handoff (on the
        channels we can write to after the fact: Telegram, WhatsApp)."""
        handoff = await handoff_store.get_handoff(conn, handoff_id)
        lead = await lead_store.get_lead(conn, handoff.lead_id) if handoff else None
        if lead is None or lead.opted_out or lead.channel not in self._senders:
            return
        first_name = sdr_name.split(maxsplit=1)[0] if sdr_name.split() else sdr_name
        text = render_text("assigned", lead.language, {}, sdr=first_name)
        await outbox_store.enqueue(
            conn,
            [
                OutboxRow(
                    dedup_key=f"handoff:{handoff_id}:assigned",
                    kind="reply",
                    channel=lead.channel,
                    target=lead.channel_user_id,
                    payload=_message_payload(OutboundMessage(text)),
                    handoff_id=None,
                    next_attempt_at=now,
                    created_at=now,
                )
            ],
        )

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

        async def done(conn: Transaction) -> None:
            await outbox_store.mark_sent(conn, item.id, sent_id, now)
            current = await handoff_store.get_handoff(conn, handoff.id)
            delivery = dict(current.delivery or {}) if current else {}
            delivery[key] = {"status": "sent", "message_id": sent_id, "at": now.isoformat()}
            await handoff_store.set_delivery(conn, handoff.id, delivery)

        await self._run(done)
        logger.info("handoff %s delivered to %s", handoff.id, item.channel)

    async def _tell(self, item: outbox_store.OutboxItem) -> None:
        """What the prospect said after the handoff, to every SDR chat its notice reached:
        the notice edited (Telegram) or one follow-up (WhatsApp); or that they opted out.
        A notice not sent yet needs nothing: it will carry the newest summary."""
        lead_id = str(item.payload.get("lead_id", ""))
        handoff = await self._run(lambda conn: handoff_store.get_handoff_for_lead(conn, lead_id))
        withdraw = item.kind == "handoff.withdraw"
        delivery = dict(handoff.delivery or {}) if handoff is not None else {}
        if handoff is not None and not withdraw and handoff.status != "open":
            delivery = {}  # decided already: its message shows the decision now
        told: dict[str, dict[str, Any]] = {}
        for key, state in delivery.items():
            channel, _, target = key.partition(":")
            notifier = self._notifiers.get(channel)
            if notifier is None or not isinstance(state, dict) or state.get("status") != "sent":
                continue
            if handoff is None:
                continue
            if withdraw:
                await notifier.withdraw(target, handoff.summary)
                told[key] = {**state, "withdrawn_at": self._clock().isoformat()}
            elif not state.get("followed_up"):
                edited = await notifier.update(
                    target, state.get("message_id"), handoff.id, handoff.summary
                )
                # a platform that cannot edit gets one follow-up, never a stream of them
                told[key] = {**state, "followed_up": not edited}
        now = self._clock()

        async def done(conn: Transaction) -> None:
            await outbox_store.mark_sent(conn, item.id, None, now)
            if handoff is not None and told:
                current = await handoff_store.get_handoff(conn, handoff.id)
                merged = dict(current.delivery or {}) if current else {}
                merged.update(told)
                await handoff_store.set_delivery(conn, handoff.id, merged)

        await self._run(done)

    async def _message(self, item: outbox_store.OutboxItem, senders: Mapping[str, Sender]) -> None:
        """A reply to a prospect (its messages row is marked sent too) or a note to an SDR."""
        sender = senders.get(item.channel)
        if sender is None:
            await self._run(lambda c: outbox_store.mark_dead(c, item.id, "no sender"))
            return
        sent_id = await sender.send(item.target, _message_of(item.payload))
        now = self._clock()
        message_id = item.payload.get("message_id")

        async def done(conn: Transaction) -> None:
            await outbox_store.mark_sent(conn, item.id, sent_id, now)
            if message_id:
                await message_store.record_sent(conn, [(str(message_id), sent_id)], now)

        await self._run(done)

    async def _post(self, item: outbox_store.OutboxItem) -> None:
        """A CRM event to one URL, signed; retried with backoff until the receiver says 2xx."""
        if self._poster is None:
            await self._run(lambda c: outbox_store.mark_dead(c, item.id, "no webhook poster"))
            return
        body = event_body(item.payload["event"])
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(body, self._webhook_secret),
        }
        await self._poster.post(str(item.payload["url"]), body, headers)
        now = self._clock()
        await self._run(lambda c: outbox_store.mark_sent(c, item.id, None, now))

    async def _failed(self, item: outbox_store.OutboxItem, error: DeliveryError) -> None:
        now = self._clock()
        reason = str(error)[:500]
        most = CRM_MAX_ATTEMPTS if item.kind == CRM_KIND else MAX_ATTEMPTS
        if error.permanent or item.attempts >= most:
            logger.warning("outbox %s (%s) gave up: %s", item.id, item.kind, reason)
            message_id = item.payload.get("message_id") if item.kind == "reply" else None

            async def dead(conn: Transaction) -> None:
                await outbox_store.mark_dead(conn, item.id, reason)
                if message_id:
                    code = error.code or ("refused" if error.permanent else "gave_up")
                    await message_store.record_failed(conn, str(message_id), code, now)
                    if error.unreachable:
                        lead_id = await message_store.lead_of(conn, str(message_id))
                        if lead_id is not None:
                            await lead_store.mark_unreachable(conn, lead_id, now)
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
