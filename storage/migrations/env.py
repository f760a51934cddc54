"""Alembic environment: runs migrations on the async engine through run_sync."""

import asyncio
import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from storage.database import Database
from storage.models import metadata

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or os.environ.get("QUALIBOT_DATABASE_URL")
    )
    if not url:
        raise SystemExit("no database URL: pass -x url=... or set QUALIBOT_DATABASE_URL")
    return url


async def _run_online() -> None:
    db = Database.from_url(_url(), pool_size=1)
    try:
        async with db.engine.connect() as conn:
            await conn.run_sync(_configure)
            await conn.commit()
    finally:
        await db.dispose()


def main() -> None:
    # storage.migrate hands us a live connection; only the alembic CLI gets here without one.
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)
    if context.is_offline_mode():
        context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    asyncio.run(_run_online())


main()
