"""The one scheduler for everything time-driven: SLA steps (handoff.jobs) every few seconds,
and engagement signals from time passing (a prospect went silent) every ten minutes.

`serve` runs it in the background; `qualibot jobs run-due` runs one pass and exits. Every
job is safe to run from several workers at once: each SLA step is keyed once per handoff
(handoff_events), a silence is scored once per silence.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from bot.pipeline import SILENCE, Pipeline
from handoff.followups import run_followups
from handoff.jobs import Run, SlaSetup, run_due
from handoff.privacy import erase_inactive
from scoring import Engagement
from storage.conversations import silent_conversations
from storage.database import Database

logger = logging.getLogger(__name__)
EVERY: Final = timedelta(seconds=5)
SILENCE_EVERY: Final = timedelta(minutes=10)  # silence, retention, nurture and nudges


async def mark_silent(db: Database, pipeline: Pipeline, now: datetime) -> int:
    """Score `went_silent` for every conversation unanswered for a day; how many."""
    async with db.connection() as conn:
        quiet = await silent_conversations(conn, now - SILENCE)
    for channel, user in quiet:
        await pipeline.signal(channel, user, Engagement.WENT_SILENT)
    return len(quiet)


async def run_jobs(
    run: Run,
    setup: SlaSetup,
    now: datetime,
    *,
    send_at: datetime | None = None,
    slow: bool = True,
) -> list[dict[str, Any]]:
    """One pass of the time-driven jobs: the actions, one dict each. SLA steps always; with
    `slow`, also retention and follow-ups (nurture, nudges), which read every lead and are
    due in hours, not seconds."""
    actions = await run_due(run, now=now, setup=setup, send_at=send_at)
    if slow:
        actions += await erase_inactive(run, now=now, days=setup.retention_days, crm=setup.crm)
        if setup.flow is not None:
            actions += await run_followups(run, flow=setup.flow, now=now, send_at=send_at)
    return actions


async def run_scheduler(
    db: Database,
    pipeline: Pipeline,
    clock: Callable[[], datetime],
    *,
    run: Run,
    setup: SlaSetup,
    wake: Callable[[], None] = lambda: None,
    every: timedelta = EVERY,
    silence_every: timedelta = SILENCE_EVERY,
) -> None:
    """Run the periodic jobs until cancelled; a failing pass is logged and retried later."""
    silence_due = clock()
    while True:
        now = clock()
        try:
            actions = await run_jobs(run, setup, now, slow=now >= silence_due)
            for action in actions:
                logger.info("scheduler: %s", action)
                if "lead_id" in action:
                    pipeline.forget_lead(str(action["lead_id"]))
            if actions:
                wake()  # what the steps sent is in the outbox
            if now >= silence_due:
                silence_due = now + silence_every
                count = await mark_silent(db, pipeline, now)
                if count:
                    logger.info("%d conversations went silent", count)
        except Exception:
            logger.exception("scheduler pass failed; trying again in %s", every)
        await asyncio.sleep(every.total_seconds())
