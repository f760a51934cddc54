"""Integration fixtures: migrated databases on SQLite and PostgreSQL, fresh for every test.

Each backend is migrated once per session with alembic (a template file on SQLite, a schema of
its own on PostgreSQL); each test then gets a copy of the file or the emptied schema, which keeps
the suite fast. `fresh_db` migrates from nothing for the tests that need that.
"""

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.exc import SQLAlchemyError

from storage.database import Database
from storage.migrate import upgrade_database
from storage.models import metadata
from tests.postgres import PG_URL, unreachable

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _postgres(schema: str) -> Database:
    # search_path sends every unqualified name (alembic_version included) into the schema.
    return Database.from_url(
        PG_URL, connect_args={"server_settings": {"search_path": schema}, "timeout": 3}
    )


async def _create_schema(schema: str) -> Database:
    """A migrated schema of its own; skips (fails in CI) when PostgreSQL is unreachable."""
    db = _postgres(schema)
    try:
        async with db.transaction() as conn:
            await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except (OSError, SQLAlchemyError) as e:
        await db.dispose()
        unreachable(e)
    await upgrade_database(db)
    return db


async def _drop_schema(db: Database, schema: str) -> None:
    try:
        async with db.transaction() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await db.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"

    async def migrate() -> None:
        db = Database.from_url(f"sqlite:///{path}")
        try:
            await upgrade_database(db)
        finally:
            await db.dispose()  # the last close checkpoints the WAL into the file

    asyncio.run(migrate())
    return path


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """A PostgreSQL schema migrated to head once per session, dropped at the end."""
    schema = f"qb_{uuid.uuid4().hex[:12]}"

    async def migrate() -> None:
        await (await _create_schema(schema)).dispose()

    asyncio.run(migrate())
    yield schema
    asyncio.run(_drop_schema(_postgres(schema), schema))


async def _empty(db: Database) -> None:
    # DELETE, children first: on a few rows it takes a millisecond where TRUNCATE takes ~150.
    async with db.transaction() as conn:
        for table in reversed(metadata.sorted_tables):
            await conn.execute(table.delete())


@pytest.fixture(params=BACKENDS)
def migrated(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a migrated database is: a copied SQLite file or the session's PostgreSQL schema.

    Sync on purpose: the session fixtures run their own event loop, which cannot start from
    inside the test's.
    """
    if request.param == "sqlite":
        path = tmp_path / "qualibot.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    schema: str = request.getfixturevalue("postgres_schema")
    return f"postgresql:{schema}"


@pytest.fixture
async def db(migrated: str) -> AsyncIterator[Database]:
    """A migrated, empty database on each backend."""
    if migrated.startswith("sqlite"):
        database = Database.from_url(migrated)
    else:
        database = _postgres(migrated.removeprefix("postgresql:"))
        await _empty(database)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def postgres_db(postgres_schema: str) -> AsyncIterator[Database]:
    """PostgreSQL alone, migrated and empty: for behaviour SQLite cannot have."""
    database = _postgres(postgres_schema)
    await _empty(database)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def sqlite_db(sqlite_template: Path, tmp_path: Path) -> AsyncIterator[Database]:
    """SQLite alone, migrated and empty: for what only SQLite has (its query planner)."""
    path = tmp_path / "qualibot.db"
    shutil.copyfile(sqlite_template, path)
    database = Database.from_url(f"sqlite:///{path}")
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture(params=BACKENDS)
async def fresh_db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A database migrated from nothing for this test alone (migration tests change it)."""
    if request.param == "sqlite":
        database = Database.from_url(f"sqlite:///{tmp_path / 'fresh.db'}")
        try:
            await upgrade_database(database)
            yield database
        finally:
            await database.dispose()
        return
    schema = f"qb_{uuid.uuid4().hex[:12]}"
    database = await _create_schema(schema)
    try:
        yield database
    finally:
        await _drop_schema(database, schema)
