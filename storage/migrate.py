"""Schema migrations run from code: `qualibot db upgrade` and `serve` start-up call `upgrade`."""

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from storage.database import Database
from storage.models import metadata

SCRIPT_LOCATION = "storage:migrations"
# Replicas started together all upgrade at start-up: on PostgreSQL they take this
# transaction-scoped advisory lock first, so one upgrades and the rest find it current.
MIGRATION_LOCK = 0x7175616C69626F74  # "qualibot"


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic Config for the shipped migrations; no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection, revision: str) -> None:
    command.upgrade(alembic_config(connection), revision)


def _downgrade(connection: Connection, revision: str) -> None:
    command.downgrade(alembic_config(connection), revision)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def upgrade(url: str) -> None:
    """Bring the database at `url` to the newest schema (a no-op when it is already there)."""
    db = Database.from_url(url, pool_size=1)
    try:
        await upgrade_database(db)
    finally:
        await db.dispose()


async def upgrade_database(db: Database, revision: str = "head") -> None:
    """Upgrade an open Database to `revision`, in one transaction, one process at a time."""
    async with db.transaction() as conn:
        if db.backend == "postgresql":
            await conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        await conn.run_sync(_upgrade, revision)


async def downgrade_database(db: Database, revision: str) -> None:
    """Downgrade an open Database to `revision` ("base" removes every table)."""
    async with db.transaction() as conn:
        await conn.run_sync(_downgrade, revision)


async def current_revision(db: Database) -> str | None:
    """The revision the database is at, or None before the first upgrade."""
    async with db.connection() as conn:
        return await conn.run_sync(_current)


async def schema_diff(db: Database) -> list[Any]:
    """Differences between the database and storage.models (empty: `alembic check` passes)."""
    async with db.connection() as conn:
        return await conn.run_sync(_diff)
