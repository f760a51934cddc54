"""Replies out after the commit: send in order, record platform ids, queue what failed."""

import asyncio
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.committer import GroupCommitter
from bot.pipeline import Outcome
from dialogs import DeliveryError, Sender
from handoff.outbox import reply_row
from storage import leads as lead_store
from storage import messages as message_store
from storage import outbox as outbox_store

logger = logging.getLogger(__name__)


class Background:
    """Tasks started after a webhook was answered; references kept until they finish."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def start(self, work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("background task failed", exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for what is running (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


async def deliver_replies(
    *,
    sender: Sender,
    committer: GroupCommitter,
    channel: str,
    target: str,
    outcome: Outcome,
    clock: Callable[[], datetime],
    wake_outbox: Callable[[], None] = lambda: None,
) -> list[str]:
    """Send the turn's replies in order; the platform ids of those sent.

    A retryable failure queues that reply and the ones after it in the outbox (so their order
    holds); a permanent one (blocked, invalid recipient) marks the lead unreachable.
    """
    sent: list[tuple[str, str]] = []
    failed: tuple[int, DeliveryError] | None = None
    for index, (reply, row_id) in enumerate(zip(outcome.replies, outcome.reply_ids, strict=True)):
        try:
            sent.append((row_id, await sender.send(target, reply)))
        except DeliveryError as e:
            failed = (index, e)
            break
    now = clock()
    if sent:
        await committer.plan(lambda dialect: message_store.plan_sent(dialect, sent, now))
    if failed is not None:
        await _failed(committer, channel, target, outcome, *failed, now=now)
        wake_outbox()
    return [platform_id for _, platform_id in sent]


async def _failed(
    committer: GroupCommitter,
    channel: str,
    target: str,
    outcome: Outcome,
    index: int,
    error: DeliveryError,
    *,
    now: datetime,
) -> None:
    row_id = outcome.reply_ids[index]
    if error.permanent:
        logger.warning("reply to lead %s refused: %s", outcome.lead_id, error)

        async def refused(conn: AsyncConnection) -> None:
            await message_store.record_failed(conn, row_id, error.code or "refused", now)
            await lead_store.mark_unreachable(conn, outcome.lead_id, now)

        await committer.run(refused)
        return
    rest = zip(outcome.replies[index:], outcome.reply_ids[index:], strict=True)
    rows = [
        reply_row(message_id=mid, channel=channel, target=target, message=r, now=now)
        for r, mid in rest
    ]
    await committer.run(lambda conn: outbox_store.enqueue(conn, rows))
