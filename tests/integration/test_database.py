"""Database set-up: URL mapping, SQLite pragmas, aware UTC datetimes, transactions."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError

from bot.web import errors_middleware
from storage import models
from storage.database import Database, async_url
from storage.errors import DatabaseBusy, NaiveDatetime, UnsupportedDatabase
from storage.leads import get_lead
from storage.turns import write_turns

from .factories import NOW, count_rows, make_lead, make_turn

WIB = timezone(timedelta(hours=7))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///qualibot.db", "sqlite+aiosqlite:///qualibot.db"),
        ("sqlite+aiosqlite:///q.db", "sqlite+aiosqlite:///q.db"),
        ("postgresql://bot@db/qualibot", "postgresql+asyncpg://bot@db/qualibot"),
        ("postgres://bot@db/qualibot", "postgresql+asyncpg://bot@db/qualibot"),
        ("postgresql+asyncpg://bot@db/qualibot", "postgresql+asyncpg://bot@db/qualibot"),
    ],
)
def test_plain_urls_get_their_async_driver(url: str, expected: str) -> None:
    mapped = async_url(url)

    assert mapped.render_as_string(hide_password=False) == expected


@pytest.mark.parametrize("url", ["mysql://root@localhost/db", "not a url"])
def test_other_databases_are_refused_with_a_hint(url: str) -> None:
    with pytest.raises(UnsupportedDatabase, match=r"sqlite:///path\.db"):
        async_url(url)


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        async with db.connection() as conn:
            pragmas = [
                (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar_one()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            ]
    finally:
        await db.dispose()

    assert pragmas == ["wal", 1, 1, 10_000]


async def test_in_memory_sqlite_shares_one_database(tmp_path: Path) -> None:
    db = Database.from_url("sqlite://")
    try:
        async with db.transaction() as conn:
            await conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
        async with db.connection() as conn:
            rows = (await conn.exec_driver_sql("SELECT count(*) FROM t")).scalar_one()
    finally:
        await db.dispose()

    assert rows == 0


async def test_datetimes_come_back_as_the_same_instant_in_utc(db: Database) -> None:
    jakarta_morning = datetime(2026, 3, 2, 16, 0, tzinfo=WIB)
    lead = make_lead(at=jakarta_morning)
    async with db.transaction() as conn:
        await write_turns(conn, [make_turn(lead, at=jakarta_morning)])

    async with db.connection() as conn:
        stored = await get_lead(conn, lead.id)

    assert stored is not None
    assert stored.created_at == NOW
    assert stored.created_at.tzinfo is UTC


async def test_a_naive_datetime_is_refused(db: Database) -> None:
    naive = datetime(2026, 3, 2, 9, 0)  # noqa: DTZ001 - the point of the test
    lead = make_lead(at=naive)

    with pytest.raises(StatementError) as raised:
        async with db.transaction() as conn:
            await write_turns(conn, [make_turn(lead, at=NOW)])

    assert isinstance(raised.value.orig, NaiveDatetime)


class Boom(Exception):
    """Something the caller raises half-way through a transaction."""


async def _write_then_fail(db: Database) -> None:
    async with db.transaction() as conn:
        await write_turns(conn, [make_turn(make_lead())])
        raise Boom


async def test_a_failed_transaction_leaves_nothing_behind(db: Database) -> None:
    with pytest.raises(Boom):
        await _write_then_fail(db)

    async with db.connection() as conn:
        leads = await count_rows(conn, models.leads)
        messages = (await conn.execute(select(models.messages.c.id))).all()
    assert (leads, messages) == (0, [])


async def test_a_message_for_a_missing_lead_fails_at_commit(db: Database) -> None:
    turn = make_turn(make_lead())
    orphan = turn.outbound[0]

    with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
        async with db.transaction() as conn:
            await conn.execute(
                models.messages.insert(),
                {
                    "id": orphan.id,
                    "lead_id": orphan.lead_id,
                    "seq": 1,
                    "direction": "out",
                    "channel": "web",
                    "text": "x",
                    "status": "pending",
                    "created_at": NOW,
                },
            )


async def test_no_free_connection_in_time_is_a_503_to_retry(
    tmp_path: Path, aiohttp_client: Any
) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path}/busy.db", pool_size=1, pool_timeout=0.2)

    async def read(_: web.Request) -> web.Response:
        async with db.connection():
            return web.Response(text="ok")

    app = web.Application(middlewares=[errors_middleware])
    app.router.add_get("/", read)
    client = await aiohttp_client(app)
    try:
        assert (await client.get("/")).status == 200
        async with db.connection():  # the pool's only connection, held
            busy = await client.get("/")
            with pytest.raises(DatabaseBusy):
                async with db.transaction():
                    pass
    finally:
        await db.dispose()

    assert busy.status == 503
    assert busy.headers["Retry-After"] == "1"
    assert "retry" in (await busy.json())["error"]
