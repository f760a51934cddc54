"""The SQLite write path: one thread, one sqlite3 connection, one hop per batch.

Every await on aiosqlite is a hop to its thread and back, and SQLAlchemy's transaction makes
five or six of them before a row is written: tens of µs of CPU each, over 100 µs when the
loop was idle in between (PERF.md). At a few turns per batch that cost more than the turns.
So the group committer hands each batch (driver-level plans, such as new prospects' loads
and "sent" marks, and every queued turn) to this writer, which runs it as one call in its
own thread: BEGIN IMMEDIATE, the plans, the turns' writes (storage.turns.plan_turns),
COMMIT. SQLite releases the GIL while it works, so the event loop keeps serving requests
meanwhile, and WAL checkpoints happen off the loop too.
"""

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect

from storage.database import Database, configure_sqlite
from storage.raw import Plan, Query, T, run_plan_sync, sqlalchemy_error
from storage.turns import TurnWrite, plan_turns

PlanFor = Callable[[Dialect], Plan[Any]]  # a plan, once the dialect is known


@dataclass(frozen=True, slots=True)
class Written:
    """What one batch did: what each plan returned, and which turns were duplicates."""

    results: list[Any]
    duplicates: set[int]


class SqliteWriter:
    """The single writer of one SQLite file; `await batch(...)` returns once it committed."""

    def __init__(self, path: str, dialect: Dialect) -> None:
        self._path = path
        self._dialect = dialect
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-writer")
        self._conn: sqlite3.Connection | None = None

    @classmethod
    def for_database(cls, db: Database) -> "SqliteWriter | None":
        """A writer for a SQLite file; None where the pool's connections must do the writing
        (PostgreSQL, and in-memory SQLite, which a second connection would not see)."""
        path = db.sqlite_file
        return None if path is None else cls(path, db.engine.dialect)

    async def open(self) -> None:
        await self._call(self._connect)

    async def close(self) -> None:
        if self._conn is not None:
            await self._call(self._conn.close)
            self._conn = None
        self._thread.shutdown(wait=True)

    async def batch(self, plans: Sequence[PlanFor], turns: Sequence[TurnWrite]) -> Written:
        """Run `plans`, then write `turns`, in one transaction in the writer's thread."""
        written: Written = await self._call(self._batch, plans, turns)
        return written

    async def _call(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)

    def _connect(self) -> None:
        conn = sqlite3.connect(self._path, check_same_thread=True)
        configure_sqlite(conn)  # type: ignore[arg-type]  # sqlite3 is a DB-API driver
        self._conn = conn

    def _batch(self, plans: Sequence[PlanFor], turns: Sequence[TurnWrite]) -> Written:
        conn, dialect = self._conn, self._dialect
        if conn is None:
            raise RuntimeError("SqliteWriter.batch before open()")
        self._run(conn, "BEGIN IMMEDIATE")
        try:
            results = [self._plan(conn, plan(dialect)) for plan in plans]
            duplicates = self._plan(conn, plan_turns(dialect, turns)) if turns else set()
            self._run(conn, "COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.rollback()
            raise
        return Written(results, duplicates)

    def _plan(self, conn: sqlite3.Connection, plan: Plan[T]) -> T:
        return run_plan_sync(plan, conn, self._dialect)

    def _run(self, conn: sqlite3.Connection, sql: str) -> None:
        try:
            conn.execute(sql)
        except sqlite3.Error as error:
            raise sqlalchemy_error(error, Query(sql, ()), self._dialect) from error
