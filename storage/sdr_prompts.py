"""What the bot waits for from an SDR's chat (a rejection reason), stored so a restart or
another worker still knows what the SDR's next message answers."""

from datetime import datetime
from functools import cache

from sqlalchemy import Executable, delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import sdr_prompts
from storage.statements import insert_for


@cache
def _upsert(dialect: str) -> Executable:
    insert = insert_for(dialect, sdr_prompts)
    return insert.on_conflict_do_update(
        index_elements=["channel", "address"],
        set_={name: insert.excluded[name] for name in ("kind", "handoff_id", "created_at")},
    )


async def set_prompt(
    conn: AsyncConnection, channel: str, address: str, kind: str, handoff_id: str, at: datetime
) -> None:
    """The SDR's next message on this chat answers `kind` for this handoff."""
    values = {
        "channel": channel,
        "address": address,
        "kind": kind,
        "handoff_id": handoff_id,
        "created_at": at,
    }
    await conn.execute(_upsert(conn.dialect.name), values)


async def pop_prompt(conn: AsyncConnection, channel: str, address: str) -> tuple[str, str] | None:
    """(kind, handoff id) the chat's next message answers, removed; None if nothing waits."""
    where = (sdr_prompts.c.channel == channel) & (sdr_prompts.c.address == address)
    row = (
        await conn.execute(select(sdr_prompts.c.kind, sdr_prompts.c.handoff_id).where(where))
    ).first()
    if row is None:
        return None
    await conn.execute(delete(sdr_prompts).where(where))
    return str(row[0]), str(row[1])
