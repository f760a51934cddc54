"""Admin sessions: which signed session cookies are still good (logged in, not logged out)."""

import hashlib
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import admin_sessions


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


async def open_session(
    conn: AsyncConnection, session_id: str, *, at: datetime, expires_at: datetime
) -> None:
    """Record a new session; sessions that ended long ago are removed on the way."""
    await conn.execute(delete(admin_sessions).where(admin_sessions.c.expires_at < at))
    await conn.execute(
        insert(admin_sessions).values(
            id_hash=_hash(session_id), created_at=at, expires_at=expires_at, revoked_at=None
        )
    )


async def is_open(conn: AsyncConnection, session_id: str, at: datetime) -> bool:
    """Whether the session exists, has not expired and was not logged out."""
    found = await conn.execute(
        select(admin_sessions.c.id_hash).where(
            admin_sessions.c.id_hash == _hash(session_id),
            admin_sessions.c.expires_at > at,
            admin_sessions.c.revoked_at.is_(None),
        )
    )
    return found.first() is not None


async def close_session(conn: AsyncConnection, session_id: str, at: datetime) -> bool:
    """Log a session out for good; False if it was not open."""
    result = await conn.execute(
        update(admin_sessions)
        .where(
            admin_sessions.c.id_hash == _hash(session_id), admin_sessions.c.revoked_at.is_(None)
        )
        .values(revoked_at=at)
    )
    return result.rowcount > 0
