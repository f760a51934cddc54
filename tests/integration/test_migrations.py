"""Migrations: the shipped revision matches the models exactly, and goes down and up again."""

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from storage.database import Database
from storage.migrate import (
    alembic_config,
    current_revision,
    downgrade_database,
    schema_diff,
    upgrade,
    upgrade_database,
)
from storage.models import metadata
from tests.postgres import create_database, drop_database

ROOT = Path(__file__).resolve().parents[2]
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_upgrade_to_head_matches_the_models(fresh_db: Database) -> None:
    async with fresh_db.connection() as conn:
        tables = await conn.run_sync(_tables)

    diff = await schema_diff(fresh_db)

    assert diff == []
    assert await current_revision(fresh_db) == HEAD
    assert tables == {*metadata.tables, "alembic_version"}


async def test_downgrade_to_base_and_back_up(fresh_db: Database) -> None:
    await downgrade_database(fresh_db, "base")
    async with fresh_db.connection() as conn:
        after_downgrade = await conn.run_sync(_tables)

    await upgrade_database(fresh_db)

    assert after_downgrade == {"alembic_version"}
    assert await current_revision(fresh_db) == HEAD
    assert await schema_diff(fresh_db) == []


async def test_upgrade_by_url_is_repeatable(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"

    await upgrade(url)
    await upgrade(url)

    db = Database.from_url(url)
    try:
        assert await current_revision(db) == HEAD
    finally:
        await db.dispose()


def test_the_alembic_command_line_uses_the_shipped_config(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    command = [sys.executable, "-m", "alembic", "-c", "storage/alembic.ini", "-x", f"url={url}"]

    upgraded = subprocess.run(
        [*command, "upgrade", "head"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    checked = subprocess.run(
        [*command, "check"], cwd=ROOT, capture_output=True, text=True, check=False
    )

    assert upgraded.returncode == 0, upgraded.stderr
    assert checked.returncode == 0, checked.stderr


@pytest.mark.postgres
async def test_replicas_started_together_upgrade_one_after_the_other() -> None:
    # Four processes' start-up upgrades at once on an empty database, as replicas start:
    # without the lock the later ones die creating alembic_version (duplicate pg_type row).
    url = await create_database()
    replicas = [Database.from_url(url) for _ in range(4)]
    try:
        for replica in replicas:  # connected up front, so the upgrades truly overlap
            async with replica.connection():
                pass
        results = await asyncio.gather(
            *(upgrade_database(replica) for replica in replicas), return_exceptions=True
        )
        revision = await current_revision(replicas[0])
        diff = await schema_diff(replicas[0])
    finally:
        for replica in replicas:
            await replica.dispose()
        await drop_database(url)

    assert results == [None, None, None, None]
    assert revision == HEAD
    assert diff == []

    assert results == [None] * len(replicas)
    assert revision == HEAD
    assert diff == []
