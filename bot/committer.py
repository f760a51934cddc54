"""Group commit: one writer task commits many turns per transaction, then answers each caller.

A transaction costs far more CPU than a turn's rows (PERF.md); sharing one among every turn
that arrived meanwhile is what lets one process take thousands of messages a second. One
turn's writes are never split, and nobody is answered before the transaction holding their
writes has committed. On a SQLite file the turns and the driver-level plans (new prospects'
loads, "sent" marks) go to the SqliteWriter, one thread hop per batch; jobs (`run`, written
against SQLAlchemy) follow in a transaction of their own. On PostgreSQL one transaction
holds it all.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.conversations import LoadedConversation, plan_load
from storage.database import Database
from storage.raw import executor, run_plan
from storage.sqlite_writer import PlanFor, SqliteWriter, Written
from storage.turns import TurnWrite, write_turns

logger = logging.getLogger(__name__)
MAX_BATCH: Final = 256
Job = Callable[[AsyncConnection], Awaitable[Any]]
Waiting = list[tuple[Any, "asyncio.Future[Any]"]]


@dataclass(slots=True)
class _Batch:
    plans: list[tuple[PlanFor, "asyncio.Future[Any]"]] = field(default_factory=list)
    turns: list[tuple[TurnWrite, "asyncio.Future[bool]"]] = field(default_factory=list)
    jobs: list[tuple[Job, "asyncio.Future[Any]"]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.plans) + len(self.turns) + len(self.jobs)

    def take(self) -> "_Batch":
        """Up to MAX_BATCH of each kind, removed from this one."""
        taken = _Batch(self.plans[:MAX_BATCH], self.turns[:MAX_BATCH], self.jobs[:MAX_BATCH])
        del self.plans[:MAX_BATCH], self.turns[:MAX_BATCH], self.jobs[:MAX_BATCH]
        return taken

    def alone(self) -> list["_Batch"]:
        """Each piece of work as a batch of its own."""
        return [
            *(_Batch(plans=[plan]) for plan in self.plans),
            *(_Batch(turns=[turn]) for turn in self.turns),
            *(_Batch(jobs=[job]) for job in self.jobs),
        ]

    def futures(self) -> list["asyncio.Future[Any]"]:
        waiting: Waiting = [*self.plans, *self.turns, *self.jobs]
        return [future for _, future in waiting]


class GroupCommitter:
    """The single writer: `await commit(turn)` returns once the turn is durable."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._writer = SqliteWriter.for_database(db)
        self._pending = _Batch()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0  # for metrics and the benchmark

    async def start(self) -> None:
        if self._writer is not None:
            await self._writer.open()
        self._task = asyncio.create_task(self._run(), name="group-committer")

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        while len(self._pending):
            await self._flush()
        if self._writer is not None:
            await self._writer.close()

    async def commit(self, turn: TurnWrite) -> bool:
        """Write one turn; False when its inbound message was already stored (a duplicate)."""
        return bool(await self._queue(self._pending.turns, turn))

    async def load(self, channel: str, channel_user_id: str) -> LoadedConversation | None:
        """The prospect's lead and conversation as committed (None if new), in the next batch."""
        loaded: LoadedConversation | None = await self.plan(
            lambda dialect: plan_load(dialect, channel, channel_user_id)
        )
        return loaded

    async def plan(self, plan: PlanFor) -> Any:
        """Run a driver-level plan (storage/raw.py) in the next batch; what it returns."""
        return await self._queue(self._pending.plans, plan)

    async def run(self, job: Job) -> Any:
        """Run `job(conn)` in the writer's next transaction and return what it returns."""
        return await self._queue(self._pending.jobs, job)

    async def _queue(self, queue: Waiting, work: Any) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        queue.append((work, future))
        self._wake.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while len(self._pending):
                await self._flush()

    async def _flush(self) -> None:
        batch = self._pending.take()
        try:
            await self._write(batch)
        except Exception:
            # One bad turn must not fail the others: retry each alone to isolate it.
            logger.exception("batch of %d failed; retrying one by one", len(batch))
            for alone in batch.alone():
                try:
                    await self._write(alone)
                except Exception as e:
                    for future in alone.futures():
                        if not future.done():
                            future.set_exception(e)

    async def _write(self, batch: _Batch) -> None:
        plans = [plan for plan, _ in batch.plans]
        turns = [turn for turn, _ in batch.turns]
        outputs: list[Any] = []
        if self._writer is not None:
            written = (
                await self._writer.batch(plans, turns) if plans or turns else Written([], set())
            )
            if batch.jobs:
                async with self._db.transaction() as conn:
                    outputs = [await job(conn) for job, _ in batch.jobs]
        else:
            async with self._db.transaction() as conn:
                run = await executor(conn)
                results = [await run_plan(plan(conn.dialect), run) for plan in plans]
                duplicates = await write_turns(conn, turns) if turns else set()
                outputs = [await job(conn) for job, _ in batch.jobs]
            written = Written(results, duplicates)
        self.batches += 1
        _resolve(batch.plans, written.results)
        _resolve(batch.turns, [index not in written.duplicates for index in range(len(turns))])
        _resolve(batch.jobs, outputs)


def _resolve(waiting: Waiting, results: list[Any]) -> None:
    for (_, future), result in zip(waiting, results, strict=True):
        if not future.done():
            future.set_result(result)
