"""Integration fixtures: a migrated database per test, on SQLite and on PostgreSQL."""

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.exc import SQLAlchemyError

from storage.database import Database
from storage.migrate import upgrade_database

PG_URL = os.environ.get(
    "QUALIBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


async def _sqlite(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database.from_url(f"sqlite:///{tmp_path / 'qualibot.db'}")
    try:
        await upgrade_database(db)
        yield db
    finally:
        await db.dispose()


async def _postgresql() -> AsyncIterator[Database]:
    # A schema of its own per test: isolation without a database per test, and no clash
    # with other suites sharing the `test` database. search_path sends every unqualified
    # name (alembic_version included) into it.
    schema = f"qb_{uuid.uuid4().hex[:12]}"
    db = Database.from_url(
        PG_URL, connect_args={"server_settings": {"search_path": schema}, "timeout": 3}
    )
    try:
        try:
            async with db.transaction() as conn:
                await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        except (OSError, SQLAlchemyError) as e:
            if _in_ci():
                pytest.fail(f"PostgreSQL at {PG_URL} is required in CI: {e}")
            pytest.skip(f"PostgreSQL at {PG_URL} is not reachable: {e}")
        try:
            await upgrade_database(db)
            yield db
        finally:
            async with db.transaction() as conn:
                await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A freshly migrated, empty database on each backend."""
    backend = _sqlite(tmp_path) if request.param == "sqlite" else _postgresql()
    async for database in backend:
        yield database
