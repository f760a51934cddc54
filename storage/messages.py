"""Messages: the transcript, and the delivery status of outbound messages after the write."""

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Final

from sqlalchemy import and_, bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import leads, messages
from storage.rows import new_id


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One message as stored, with its delivery status."""

    id: str
    lead_id: str
    seq: int
    direction: str
    channel: str
    channel_message_id: str | None
    text: str
    choice_id: str | None
    choices: list[dict[str, str]] | None
    status: str
    error_code: str | None
    created_at: datetime
    status_at: datetime | None
    author: str | None = None  # "sdr:<id>": an SDR wrote it through the bot (takeover)


_COLUMNS: Final = tuple(messages.c[field.name] for field in fields(StoredMessage))

# Delivery receipts arrive out of order; a status never moves back down this ladder.
STATUS_RANK: Final[dict[str, int]] = {"pending": 0, "sent": 1, "delivered": 2, "read": 3}
_FAILED_RANK: Final = 4  # once failed, only another 'failed' is recorded
_current_rank = case(
    {**STATUS_RANK, "failed": _FAILED_RANK}, value=messages.c.status, else_=_FAILED_RANK
)

_BY_CHANNEL_ID: Final = and_(
    messages.c.channel == bindparam("b_channel"),
    messages.c.direction == "out",
    messages.c.channel_message_id == bindparam("b_channel_message_id"),
)
_STATUS_VALUES: Final[dict[str, Any]] = {
    "status": bindparam("b_status"),
    "status_at": bindparam("b_at"),
    "error_code": bindparam("b_error_code"),
}
_FORWARD: Final = (
    update(messages)
    .where(_BY_CHANNEL_ID, _current_rank < bindparam("b_rank"))
    .values(_STATUS_VALUES)
    .returning(messages.c.lead_id)
)
_FAILED: Final = (
    update(messages).where(_BY_CHANNEL_ID).values(_STATUS_VALUES).returning(messages.c.lead_id)
)
_TRANSCRIPT: Final = (
    select(*_COLUMNS).where(messages.c.lead_id == bindparam("lead_id")).order_by(messages.c.seq)
)


async def transcript(conn: AsyncConnection, lead_id: str) -> list[StoredMessage]:
    """Every message of a lead, in conversation order."""
    result = await conn.execute(_TRANSCRIPT, {"lead_id": lead_id})
    return [StoredMessage(*row) for row in result]


async def latest(conn: AsyncConnection, lead_id: str, limit: int) -> list[StoredMessage]:
    """A lead's last `limit` messages, in conversation order."""
    query = (
        select(*_COLUMNS)
        .where(messages.c.lead_id == lead_id)
        .order_by(messages.c.seq.desc())
        .limit(limit)
    )
    return [StoredMessage(*row) for row in reversed((await conn.execute(query)).all())]


async def record_sent(
    conn: AsyncConnection, updates: Sequence[tuple[str, str]], at: datetime
) -> None:
    """Mark outbound messages sent: (message id, platform message id) pairs, one executemany."""
    if updates:
        await conn.execute(
            _SENT,
            [
                {"b_id": message_id, "b_channel_message_id": platform_id, "b_at": at}
                for message_id, platform_id in updates
            ],
        )


_SENT: Final = (
    update(messages)
    .where(messages.c.id == bindparam("b_id"))
    .values(
        channel_message_id=bindparam("b_channel_message_id"),
        status="sent",
        status_at=bindparam("b_at"),
    )
)


async def record_failed(
    conn: AsyncConnection, message_id: str, error_code: str | None, at: datetime
) -> bool:
    """Mark an outbound message that could not be sent; False if there is no such message."""
    result = await conn.execute(
        update(messages)
        .where(messages.c.id == message_id, messages.c.direction == "out")
        .values(status="failed", status_at=at, error_code=error_code)
    )
    return result.rowcount > 0


async def lead_of(conn: AsyncConnection, message_id: str) -> str | None:
    """The lead a message belongs to, or None if there is no such message."""
    found = (
        await conn.execute(select(messages.c.lead_id).where(messages.c.id == message_id))
    ).scalar_one_or_none()
    return None if found is None else str(found)


async def update_status_by_channel_id(
    conn: AsyncConnection,
    channel: str,
    channel_message_id: str,
    status: str,
    at: datetime,
    *,
    error_code: str | None = None,
) -> str | None:
    """Apply a delivery receipt; the lead's id if it changed the message, else None.

    A status that would move backwards (sent after read) is ignored; 'failed' is always
    recorded. Unknown ids (a receipt for a message we never stored) are ignored too.
    """
    params = {
        "b_channel": channel,
        "b_channel_message_id": channel_message_id,
        "b_status": status,
        "b_at": at,
        "b_error_code": error_code,
    }
    if status == "failed":
        result = await conn.execute(_FAILED, params)
    else:
        rank = STATUS_RANK.get(status)
        if rank is None:
            return None
        result = await conn.execute(_FORWARD, {**params, "b_rank": rank})
    lead_id = result.scalar_one_or_none()
    return None if lead_id is None else str(lead_id)


async def replies_to(
    conn: AsyncConnection, lead_id: str, channel_message_id: str
) -> list[StoredMessage]:
    """What we answered to one of a lead's inbound messages (the outbound messages that
    followed it, up to the lead's next inbound one), so a client retrying a message can be
    shown the answer. Scoped to the lead: another conversation's id finds nothing here."""
    seq = (
        await conn.execute(
            select(messages.c.seq).where(
                messages.c.lead_id == lead_id,
                messages.c.direction == "in",
                messages.c.channel_message_id == channel_message_id,
            )
        )
    ).scalar_one_or_none()
    if seq is None:
        return []
    later = await conn.execute(
        select(*_COLUMNS)
        .where(messages.c.lead_id == lead_id, messages.c.seq > seq)
        .order_by(messages.c.seq)
        .limit(20)
    )
    replies: list[StoredMessage] = []
    for row in later:
        message = StoredMessage(*row)
        if message.direction == "in":
            break
        replies.append(message)
    return replies


async def append_outbound(
    conn: AsyncConnection,
    lead_id: str,
    *,
    channel: str,
    text: str,
    author: str | None,
    now: datetime,
) -> str:
    """An outbound message written outside a turn (an SDR in a takeover: `author`; a nurture
    message or a nudge of the bot: None), numbered after the lead's last one under the lead's
    row lock; its id."""
    await conn.execute(select(leads.c.id).where(leads.c.id == lead_id).with_for_update())
    seq = (
        await conn.execute(
            select(func.coalesce(func.max(messages.c.seq), 0) + 1).where(
                messages.c.lead_id == lead_id
            )
        )
    ).scalar_one()
    message_id = new_id()
    await conn.execute(
        messages.insert().values(
            id=message_id,
            lead_id=lead_id,
            seq=int(seq),
            direction="out",
            channel=channel,
            text=text,
            status="pending",
            created_at=now,
            status_at=now,
            author=author,
        )
    )
    return message_id
