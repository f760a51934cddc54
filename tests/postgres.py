"""The test PostgreSQL server: its URL, and throw-away databases for whole-app tests.

Tests that need PostgreSQL skip when it is unreachable, except in CI (CI=true), where they
fail: the CI machine has the server, so a skip there would hide a broken test.
"""

import os
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine

PG_URL = os.environ.get(
    "QUALIBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unreachable(error: Exception) -> None:
    """Skip the test (fail it in CI): PostgreSQL could not be reached."""
    if in_ci():
        pytest.fail(f"PostgreSQL at {PG_URL} is required in CI (CI=true): {error}")
    pytest.skip(f"PostgreSQL at {PG_URL} is not reachable: {error}")


async def _admin(statement: str) -> None:
    # CREATE/DROP DATABASE cannot run inside a transaction.
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT", connect_args={"timeout": 3})
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def create_database() -> str:
    """A new, empty database; its URL. Skips (fails in CI) when the server is unreachable."""
    name = f"qb_e2e_{uuid.uuid4().hex[:12]}"
    try:
        await _admin(f'CREATE DATABASE "{name}"')
    except (OSError, SQLAlchemyError) as e:
        unreachable(e)
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


async def drop_database(url: str) -> None:
    name = make_url(url).database
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
