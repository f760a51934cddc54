"""SDRs: the sales reps handoffs go to, and round-robin assignment among the active ones."""

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Final

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import handoffs, sdrs

# Handoffs an SDR is still working on: they count against the SDR's capacity.
OPEN_STATUSES: Final = ("open", "accepted")


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
    available: bool = True  # the SDR's own switch: /away, /back
    languages: str | None = None  # "id,en"; None: any
    capacity: int | None = None  # open handoffs at most; None: no limit
    zone: str | None = None  # WIB / WITA / WIT; None: WIB
    work_hours: str | None = None  # "08:00-17:00" in the zone; None: any time


_COLUMNS: Final = tuple(sdrs.c[field.name] for field in fields(Sdr))


async def add_sdr(
    conn: AsyncConnection,
    name: str,
    *,
    now: datetime,
    telegram_chat_id: str | None = None,
    whatsapp_number: str | None = None,
    active: bool = True,
    languages: str | None = None,
    capacity: int | None = None,
    zone: str | None = None,
    work_hours: str | None = None,
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
            available=True,
            languages=languages,
            capacity=capacity,
            zone=zone,
            work_hours=work_hours,
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


async def set_available(conn: AsyncConnection, sdr_id: int, available: bool) -> bool:
    """The SDR's own switch (/away, /back); False if there is no such SDR."""
    result = await conn.execute(
        update(sdrs).where(sdrs.c.id == sdr_id).values(available=available)
    )
    return result.rowcount > 0


async def routing_candidates(conn: AsyncConnection) -> list[tuple[Sdr, int]]:
    """Every active SDR with how many handoffs they hold open, locked for the caller's
    transaction (PostgreSQL), so two routings at once take turns instead of both picking the
    same SDR."""
    held = (
        select(func.count())
        .select_from(handoffs)
        .where(handoffs.c.sdr_id == sdrs.c.id, handoffs.c.status.in_(OPEN_STATUSES))
        .scalar_subquery()
    )
    # Locked first, read after: a statement that waited for row locks would count the held
    # handoffs as of its own start, before the routing it waited for committed.
    await conn.execute(select(sdrs.c.id).where(sdrs.c.active.is_(True)).with_for_update())
    query = select(*_COLUMNS, held).where(sdrs.c.active.is_(True)).order_by(sdrs.c.id)
    return [(Sdr(*row[:-1]), int(row[-1])) for row in await conn.execute(query)]


async def mark_assigned(conn: AsyncConnection, sdr_id: int, now: datetime) -> None:
    """Stamp the SDR as the latest to get a handoff (round robin reads it)."""
    await conn.execute(update(sdrs).where(sdrs.c.id == sdr_id).values(last_assigned_at=now))


async def find_by_address(conn: AsyncConnection, channel: str, address: str) -> Sdr | None:
    """The SDR behind a Telegram chat or a WhatsApp number, or None."""
    if channel == "telegram":
        return await find_by_telegram_chat(conn, address)
    if channel == "whatsapp":
        found = await find_by_whatsapp_number(conn, address)
        if found is None and not address.startswith("+"):
            found = await find_by_whatsapp_number(conn, f"+{address}")
        if found is None and address.startswith("+"):
            found = await find_by_whatsapp_number(conn, address.lstrip("+"))
        return found
    return None
