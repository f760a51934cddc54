"""Group commit: one writer task commits many turns per transaction, then answers each caller.

SQLAlchemy's async layer costs ~0.5 ms of CPU per transaction (PERF.md); sharing one
transaction among every turn that arrived meanwhile is what lets one process take thousands
of messages a second. One turn's writes are never split, and nobody is answered before the
transaction holding their writes has committed.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.database import Database
from storage.turns import TurnWrite, write_turns

logger = logging.getLogger(__name__)
MAX_BATCH: Final = 256
Job = Callable[[AsyncConnection], Awaitable[Any]]


@dataclass(slots=True)
class _Pending:
    turns: list[tuple[TurnWrite, "asyncio.Future[bool]"]] = field(default_factory=list)
    jobs: list[tuple[Job, "asyncio.Future[Any]"]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.turns) + len(self.jobs)


class GroupCommitter:
    """The single writer: `await commit(turn)` returns once the turn is durable."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pending = _Pending()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0  # for metrics and the benchmark

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="group-committer")

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if len(self._pending):
            await self._flush()

    async def commit(self, turn: TurnWrite) -> bool:
        """Write one turn; False when its inbound message was already stored (a duplicate)."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.turns.append((turn, future))
        self._wake.set()
        return await future

    async def run(self, job: Job) -> Any:
        """Run `job(conn)` inside the next batch's transaction and return what it returns."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.jobs.append((job, future))
        self._wake.set()
        return await future

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while len(self._pending):
                await self._flush()

    async def _flush(self) -> None:
        pending = self._pending
        turns, jobs = pending.turns[:MAX_BATCH], pending.jobs[:MAX_BATCH]
        del pending.turns[:MAX_BATCH], pending.jobs[:MAX_BATCH]
        try:
            results = await self._write(turns, jobs)
        except Exception:
            # One bad turn must not fail the others: retry each alone to isolate it.
            logger.exception("batch of %d failed; retrying one by one", len(turns) + len(jobs))
            for turn in turns:
                await self._alone([turn], [])
            for job in jobs:
                await self._alone([], [job])
            return
        self._resolve(turns, jobs, results)

    async def _alone(
        self,
        turns: list[tuple[TurnWrite, "asyncio.Future[bool]"]],
        jobs: list[tuple[Job, "asyncio.Future[Any]"]],
    ) -> None:
        try:
            results = await self._write(turns, jobs)
        except Exception as e:
            for _, future in [*turns, *jobs]:
                if not future.done():
                    future.set_exception(e)
            return
        self._resolve(turns, jobs, results)

    async def _write(
        self,
        turns: list[tuple[TurnWrite, "asyncio.Future[bool]"]],
        jobs: list[tuple[Job, "asyncio.Future[Any]"]],
    ) -> tuple[set[int], list[Any]]:
        async with self._db.transaction() as conn:
            duplicates = await write_turns(conn, [turn for turn, _ in turns]) if turns else set()
            outputs = [await job(conn) for job, _ in jobs]
        self.batches += 1
        return duplicates, outputs

    @staticmethod
    def _resolve(
        turns: list[tuple[TurnWrite, "asyncio.Future[bool]"]],
        jobs: list[tuple[Job, "asyncio.Future[Any]"]],
        results: tuple[set[int], list[Any]],
    ) -> None:
        duplicates, outputs = results
        for index, (_, future) in enumerate(turns):
            if not future.done():
                future.set_result(index not in duplicates)
        for (_, future), output in zip(jobs, outputs, strict=True):
            if not future.done():
                future.set_result(output)
