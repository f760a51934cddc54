"""`qualibot jobs run-due [--now ISO-8601]`: everything time-driven that is due, once.

For cron and tests: runs one pass of the scheduler's jobs at `--now` (default: the clock) and
exits, printing one JSON line per action taken. Running it again for the same time does
nothing more (each step is keyed once per handoff). What the steps send goes into the outbox,
and the serving process delivers it within a second or two.
"""

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from typing import Any

import orjson


def _run_due(args: argparse.Namespace) -> int:
    from bot.app import crm_events, sla_setup
    from bot.cli import _settings
    from bot.scheduler import run_jobs
    from storage.database import Database
    from storage.migrate import upgrade_database

    wall = datetime.now(UTC)
    try:
        now = datetime.fromisoformat(args.now) if args.now else wall
    except ValueError:
        print(
            f"--now {args.now!r}: expected ISO-8601, e.g. 2026-05-13T10:00:00+07:00",
            file=sys.stderr,
        )
        return 2
    # a time without an offset is read as UTC (what cron and the logs use)
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    from dialogs import load_flow

    settings = _settings(args)
    flow = load_flow(settings.flow) if settings.flow else load_flow()
    setup = sla_setup(settings, crm_events(settings), flow)

    async def run() -> list[dict[str, Any]]:
        db = Database.from_url(settings.database_url, pool_size=1)
        try:
            await upgrade_database(db)

            async def job_in_transaction(job: Any) -> Any:
                async with db.transaction() as conn:
                    return await job(conn)

            # a run for a future time sends now: the outbox would otherwise hold it back
            return await run_jobs(job_in_transaction, setup, now, send_at=min(now, wall))
        finally:
            await db.dispose()

    for action in asyncio.run(run()):
        sys.stdout.write(orjson.dumps(action).decode() + "\n")
    return 0


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Add `jobs run-due` to the qualibot command line."""
    jobs = commands.add_parser("jobs", help="time-driven jobs (SLA reminders, reassignment)")
    job_commands = jobs.add_subparsers(dest="jobs_command", required=True, metavar="COMMAND")
    due = job_commands.add_parser("run-due", help="run everything due once; JSON per action")
    due.add_argument("--now", help="ISO-8601 time to run at, with offset (default: now)")
    due.add_argument("--database-url", help="QUALIBOT_DATABASE_URL")
    due.set_defaults(func=_run_due)
