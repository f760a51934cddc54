"""Periodic jobs: engagement signals that come from time passing (a prospect went silent)."""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from bot.pipeline import SILENCE, Pipeline
from scoring import Engagement
from storage.conversations import silent_conversations
from storage.database import Database

logger = logging.getLogger(__name__)
EVERY: Final = timedelta(minutes=10)


async def mark_silent(db: Database, pipeline: Pipeline, now: datetime) -> int:
    """Score `went_silent` for every conversation unanswered for a day; how many."""
    async with db.connection() as conn:
        quiet = await silent_conversations(conn, now - SILENCE)
    for channel, user in quiet:
        await pipeline.signal(channel, user, Engagement.WENT_SILENT)
    return len(quiet)


async def run_scheduler(
    db: Database, pipeline: Pipeline, clock: Callable[[], datetime], every: timedelta = EVERY
) -> None:
    """Run the periodic jobs until cancelled; a failing pass is logged and retried later."""
    while True:
        try:
            count = await mark_silent(db, pipeline, clock())
            if count:
                logger.info("%d conversations went silent", count)
        except Exception:
            logger.exception("scheduler pass failed; trying again in %s", every)
        await asyncio.sleep(every.total_seconds())
