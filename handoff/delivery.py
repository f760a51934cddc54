"""Work after a webhook's answer: background tasks, and notes to SDRs through the outbox."""

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any

from dialogs import OutboundMessage
from handoff.outbox import note_rows
from storage import outbox as outbox_store
from storage.writer import Writer

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


async def queue_notes(
    writer: Writer,
    *,
    channel: str,
    target: str,
    messages: Sequence[OutboundMessage],
    now: datetime,
    wake_outbox: Callable[[], None],
) -> None:
    """Notes to an SDR's chat, stored in the outbox and sent from there in this order."""
    rows = note_rows(channel=channel, target=target, messages=messages, now=now)
    await writer.run(lambda conn: outbox_store.enqueue(conn, rows))
    wake_outbox()
