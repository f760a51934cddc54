"""SDRs: the sales reps handoffs go to, and round-robin assignment among the active ones."""

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import sdrs


@dataclass(frozen=True, slots=True)
class Sdr:
    """A sales rep and where to reach them."""

    id: int
    name: str
    telegram_chat_id: str | None
    whatsapp_number: str | None
    active: bool
    last_assigned_at: datetime | None
    created_at: datetime


_COLUMNS: Final = tuple(sdrs.c[field.name] for field in fields(Sdr))


async def add_sdr(
    conn: AsyncConnection,
    name: str,
    *,
    now: datetime,
    telegram_chat_id: str | None = None,
    whatsapp_number: str | None = None,
    active: bool = True,
) -> int:
    """Add an SDR; returns their id."""
    result = await conn.execute(
        sdrs.insert()
        .values(
            name=name,
            telegram_chat_id=telegram_chat_id,
            whatsapp_number=whatsapp_number,
            active=active,
            created_at=now,
        )
        .returning(sdrs.c.id)
    )
    return int(result.scalar_one())


async def get_sdr(conn: AsyncConnection, sdr_id: int) -> Sdr | None:
    """The SDR with this id, or None."""
    row = (await conn.execute(select(*_COLUMNS).where(sdrs.c.id == sdr_id))).first()
    return None if row is None else Sdr(*row)


async def list_sdrs(conn: AsyncConnection, *, active_only: bool = False) -> list[Sdr]:
    """SDRs by id; only the active ones when asked."""
    query = select(*_COLUMNS).order_by(sdrs.c.id)
    if active_only:
        query = query.where(sdrs.c.active.is_(True))
    return [Sdr(*row) for row in await conn.execute(query)]


async def set_active(conn: AsyncConnection, sdr_id: int, active: bool) -> bool:
    """Take an SDR out of (or back into) the rotation; False if there is no such SDR."""
    result = await conn.execute(update(sdrs).where(sdrs.c.id == sdr_id).values(active=active))
    return result.rowcount > 0


async def choose_next_sdr(conn: AsyncConnection, now: datetime) -> Sdr | None:
    """Round robin: the active SDR assigned least recently (never-assigned first, then by id),
    stamped as assigned at `now`; None when nobody is active. On PostgreSQL concurrent callers
    skip each other's pick (SKIP LOCKED) and so get different SDRs."""
    pick = (
        select(sdrs.c.id)
        .where(sdrs.c.active.is_(True))
        .order_by(sdrs.c.last_assigned_at.asc().nulls_first(), sdrs.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    row = (
        await conn.execute(
            update(sdrs)
            .where(sdrs.c.id.in_(pick.scalar_subquery()))
            .values(last_assigned_at=now)
            .returning(*_COLUMNS)
        )
    ).first()
    return None if row is None else Sdr(*row)


async def find_by_telegram_chat(conn: AsyncConnection, chat_id: str) -> Sdr | None:
    """The SDR behind a Telegram chat (decisions arrive from there), or None."""
    query = select(*_COLUMNS).where(sdrs.c.telegram_chat_id == chat_id).order_by(sdrs.c.id)
    row = (await conn.execute(query.limit(1))).first()
    return None if row is None else Sdr(*row)


async def find_by_whatsapp_number(conn: AsyncConnection, number: str) -> Sdr | None:
    """The SDR behind a WhatsApp number, or None."""
    query = select(*_COLUMNS).where(sdrs.c.whatsapp_number == number).order_by(sdrs.c.id)
    row = (await conn.execute(query.limit(1))).first()
    return None if row is None else Sdr(*row)
