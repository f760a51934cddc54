"""The writer: runs each message's unit of work (storage/turns.py), and other writes.

PostgreSQL: every turn is a transaction of its own on a pooled connection; the lead's row
lock orders turns of one prospect across any number of workers, and a transaction the
server aborted as a deadlock or a serialization failure is run again (the engine is pure,
so deciding twice is safe).

SQLite (one process): one writer task commits every turn queued meanwhile in one
transaction (a transaction costs far more than a turn's rows), each turn in a savepoint so
one bad turn fails alone. On a file that transaction runs in a thread of its own with a
synchronous engine, one hop per batch (every await on aiosqlite is a thread hop), while the
event loop serves requests; SQLite releases the GIL while it works.

Nobody is answered before the transaction holding their writes has committed.
"""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.database import Database, sqlite_file_engine
from storage.turns import TurnDone, TurnRequest, TurnWrite, run_turn, write_many

logger = logging.getLogger(__name__)
T = TypeVar("T")
Job = Callable[[AsyncConnection], Awaitable[Any]]
MAX_BATCH: Final = 256
RETRIES: Final = 5
# PostgreSQL aborts one of two transactions waiting on each other (deadlock_detected) and,
# under SERIALIZABLE, a conflicting one (serialization_failure): both are safe to run again.
_RETRYABLE: Final = frozenset({"40P01", "40001"})


@dataclass(slots=True)
class _Queued:
    request: TurnRequest[Any] | None
    job: Job | None
    future: "asyncio.Future[Any]"


class Writer:
    """`await turn(request)` returns once the turn is durable (or was a duplicate)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._serial = db.backend == "sqlite"
        path = db.sqlite_file
        self._engine: Engine | None = sqlite_file_engine(path) if path else None
        self._thread = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
            if self._engine is not None
            else None
        )
        self._pending: list[_Queued] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0  # for metrics and the benchmark

    async def start(self) -> None:
        if self._serial:
            self._task = asyncio.create_task(self._run(), name="sqlite-writer")

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
            while self._pending:
                await self._flush()
        if self._thread is not None:
            self._thread.shutdown(wait=True)
        if self._engine is not None:
            self._engine.dispose()

    async def turn(self, request: TurnRequest[T]) -> TurnDone[T]:
        """Run one message's unit of work."""
        if self._serial:
            done: TurnDone[T] = await self._queue(_Queued(request, None, self._future()))
            return done
        for attempt in range(RETRIES):
            try:
                async with self._db.transaction() as conn:
                    return await conn.run_sync(run_turn, request)
            except DBAPIError as e:
                if _sqlstate(e) not in _RETRYABLE or attempt == RETRIES - 1:
                    raise
                logger.info("turn of %s retried after %s", request.channel, _sqlstate(e))
        raise AssertionError("unreachable")  # the loop returns or raises

    async def run(self, job: Job) -> Any:
        """Run `job(conn)` in a write transaction and return what it returns."""
        if self._serial:
            return await self._queue(_Queued(None, job, self._future()))
        async with self._db.transaction() as conn:
            return await job(conn)

    @staticmethod
    def _future() -> "asyncio.Future[Any]":
        return asyncio.get_running_loop().create_future()

    async def _queue(self, queued: _Queued) -> Any:
        self._pending.append(queued)
        self._wake.set()
        return await queued.future

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                await self._flush()

    async def _flush(self) -> None:
        batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
        turns = [q for q in batch if q.request is not None]
        jobs = [q for q in batch if q.job is not None]
        requests = [q.request for q in turns if q.request is not None]
        try:
            results = await self._turns(requests)
        except Exception:
            # one bad turn must not fail the others: each alone, to isolate it
            logger.exception("batch of %d turns failed; running them one by one", len(requests))
            results = []
            for request in requests:
                try:
                    results.extend(await self._turns([request]))
                except Exception as e:
                    results.append(e)
        self.batches += 1
        for queued, result in zip(turns, results, strict=True):
            _settle(queued.future, result)
        for queued in jobs:
            try:
                async with self._db.transaction() as conn:
                    _settle(queued.future, await _job(queued)(conn))
            except Exception as e:
                _settle(queued.future, e)

    async def _turns(self, requests: list[TurnRequest[Any]]) -> list[Any]:
        if not requests:
            return []
        if self._engine is not None and self._thread is not None:
            engine = self._engine
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._thread, _in_thread, engine, requests)
        async with self._db.transaction() as conn:
            return await conn.run_sync(_each, requests)


def _in_thread(engine: Engine, requests: list[TurnRequest[Any]]) -> list[Any]:
    with engine.begin() as conn:
        return _each(conn, requests)


def _each(conn: Connection, requests: list[TurnRequest[Any]]) -> list[Any]:
    """Every turn read and decided in order, their writes made together (one executemany
    per table); a prospect seen again in the batch first sees its earlier turn written.
    A turn that fails to decide fails alone (its reads changed nothing but, for a new
    prospect, the bare lead row); a failing write fails the batch, which the caller then
    runs one turn at a time."""
    results: list[Any] = []
    pending: list[TurnWrite] = []
    seen: set[tuple[str, str]] = set()
    for request in requests:
        key = (request.channel, request.channel_user_id)
        if key in seen:
            write_many(conn, pending)
            pending, seen = [], set()
        seen.add(key)
        try:
            results.append(run_turn(conn, request, defer=pending))
        except Exception as e:
            logger.exception("turn of %s failed", request.channel)
            results.append(e)
    write_many(conn, pending)
    return results


def _job(queued: _Queued) -> Job:
    if queued.job is None:
        raise TypeError("a queued turn is no job")
    return queued.job


def _settle(future: "asyncio.Future[Any]", result: Any) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


def _sqlstate(error: DBAPIError) -> str | None:
    code = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return str(code) if code is not None else None
