"""Database: one async engine per URL, SQLite pragmas, and the transaction helpers."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Final, Literal

import orjson
from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import ArgumentError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, SingletonThreadPool, StaticPool

from storage.errors import DatabaseBusy, UnsupportedDatabase

Backend = Literal["sqlite", "postgresql"]

# Plain and sync-driver URLs are mapped to the async driver of their backend.
_ASYNC_DRIVERS: Final[dict[str, str]] = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
}

SQLITE_BUSY_TIMEOUT_MS: Final = 10_000
# Execution option read by the SQLite `begin` hook: which BEGIN to emit.
_BEGIN_OPTION: Final = "qualibot_sqlite_begin"


def async_url(url: str) -> URL:
    """The URL with its async driver: sqlite:///x.db -> sqlite+aiosqlite:///x.db, etc."""
    try:
        parsed = make_url(url)
    except ArgumentError as e:
        raise UnsupportedDatabase(url) from e
    driver = _ASYNC_DRIVERS.get(parsed.drivername)
    if driver is None:
        raise UnsupportedDatabase(url)
    return parsed.set(drivername=driver)


def _dumps(value: Any) -> str:
    # orjson is ~17x faster than json.dumps (PERF.md section 3) and writes datetimes as ISO.
    return orjson.dumps(value).decode()


def _sqlite_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    configure_sqlite(dbapi_connection)


def configure_sqlite(dbapi_connection: DBAPIConnection) -> None:
    """The settings every SQLite connection of ours runs with (the pool's and the writer's)."""
    # Take BEGIN away from the sqlite3 module (it skips it before SELECTs and DDL) so the
    # `begin` hook below decides; WAL lets readers run while the single writer commits;
    # synchronous=NORMAL is durable across process crashes in WAL mode and much faster.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # Write transactions take the write lock up front (BEGIN IMMEDIATE): a deferred
    # transaction that reads and then writes fails at once with SQLITE_BUSY when another
    # writer got in between, and busy_timeout cannot help it. Reads stay deferred.
    mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def sqlite_file_engine(path: str) -> Engine:
    """A synchronous engine on a SQLite file, set up like the async one (pragmas, BEGIN
    IMMEDIATE for writes, JSON, hidden parameters): the writer thread's (storage/writer.py)."""
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        hide_parameters=True,
        json_serializer=_dumps,
        json_deserializer=orjson.loads,
        poolclass=SingletonThreadPool,  # one thread writes, with one connection
    )
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})


# What a unit of work's steps are given: the connection of its open transaction. bot/ and
# handoff/ name it so; the SQL stays in storage/.
Transaction = AsyncConnection


class Database:
    """An async engine plus the transaction helpers every caller uses."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        pool_size: int = 5,
        pool_timeout: float = 30.0,
        connect_args: Mapping[str, Any] | None = None,
        echo: bool = False,
    ) -> "Database":
        """Build the engine for a sqlite or postgresql URL; nothing connects until first use."""
        parsed = async_url(url)
        options: dict[str, Any] = {
            "echo": echo,
            # A failing statement's error (and its log line) must not carry the prospect's
            # data: names, phones, emails, their messages.
            "hide_parameters": True,
            "json_serializer": _dumps,
            "json_deserializer": orjson.loads,
            "connect_args": dict(connect_args or {}),
        }
        if parsed.drivername.startswith("sqlite") and parsed.database in (None, "", ":memory:"):
            # Every connection to :memory: is a new, empty database: share one.
            options["poolclass"] = StaticPool
        else:
            options["pool_size"] = pool_size
            options["max_overflow"] = 0
            options["pool_timeout"] = pool_timeout
            options["pool_pre_ping"] = parsed.drivername.startswith("postgresql")
        engine = create_async_engine(parsed, **options)
        if engine.dialect.name == "sqlite":
            event.listen(engine.sync_engine, "connect", _sqlite_connect)
            event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return cls(engine)

    @property
    def sqlite_file(self) -> str | None:
        """The database file on SQLite (None for PostgreSQL and for in-memory databases,
        which another connection could not share)."""
        url = self.engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return url.database

    @property
    def backend(self) -> Backend:
        """Which backend the engine talks to."""
        return "sqlite" if self.engine.dialect.name == "sqlite" else "postgresql"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One write transaction: committed when the block ends, rolled back if it raises.
        DatabaseBusy when no pooled connection came free in time."""
        try:
            async with self.engine.connect() as conn:
                if self.backend == "sqlite":
                    await conn.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
                async with conn.begin():
                    yield conn
        except PoolTimeout as e:  # raised only by the pool, when checking a connection out
            raise DatabaseBusy() from e

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads; whatever it began is rolled back when the block ends.
        DatabaseBusy when no pooled connection came free in time."""
        try:
            async with self.engine.connect() as conn:
                yield conn
        except PoolTimeout as e:
            raise DatabaseBusy() from e

    async def dispose(self) -> None:
        """Close every pooled connection; call once at shutdown."""
        await self.engine.dispose()
