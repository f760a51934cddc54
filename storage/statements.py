"""Dialect-specific INSERTs: the ON CONFLICT forms of SQLite and PostgreSQL."""

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from storage.errors import StorageError

DialectInsert = sqlite.Insert | postgresql.Insert


def insert_for(dialect: str, table: Table) -> DialectInsert:
    """An INSERT with on_conflict_do_nothing/do_update for the connection's dialect."""
    if dialect == "sqlite":
        return sqlite.insert(table)
    if dialect == "postgresql":
        return postgresql.insert(table)
    raise StorageError(f"no ON CONFLICT insert for dialect {dialect!r}")
