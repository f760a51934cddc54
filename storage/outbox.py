"""Outbox: notifications enqueued in a turn's transaction and claimed by the delivery worker."""

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Final

from sqlalchemy import Executable, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import outbox
from storage.rows import OutboxRow
from storage.statements import insert_for
from storage.turns import outbox_params

DEFAULT_LEASE: Final = timedelta(minutes=2)
# Messages to a chat (prospect replies, notes to SDRs): delivered in order, one at a time.
CHAT_KINDS: Final = ("reply", "note")
WAITING: Final = ("pending", "sending")


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A stored notification; for a claimed one, `next_attempt_at` is the end of its lease."""

    id: int
    dedup_key: str
    kind: str
    channel: str
    target: str
    payload: dict[str, Any]
    handoff_id: str | None
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    sent_message_id: str | None


_COLUMNS: Final = tuple(outbox.c[field.name] for field in fields(OutboxItem))


@cache
def _enqueue(dialect: str) -> Executable:
    return (
        insert_for(dialect, outbox)
        .on_conflict_do_nothing(index_elements=["dedup_key"])
        .returning(outbox.c.id)
    )


async def enqueue(conn: AsyncConnection, rows: Sequence[OutboxRow]) -> int:
    """Add notifications outside a turn (reminders, escalations); how many were new."""
    if not rows:
        return 0
    result = await conn.execute(_enqueue(conn.dialect.name), [outbox_params(r) for r in rows])
    return len(result.all())


_earlier = outbox.alias("earlier")
# An earlier message to the same chat is still waiting (pending, or being sent elsewhere).
_QUEUED_BEHIND: Final = (
    select(_earlier.c.id)
    .where(
        _earlier.c.channel == outbox.c.channel,
        _earlier.c.target == outbox.c.target,
        _earlier.c.id < outbox.c.id,
        _earlier.c.status.in_(WAITING),
        _earlier.c.kind.in_(CHAT_KINDS),
    )
    .exists()
)


async def claim_due(
    conn: AsyncConnection, now: datetime, limit: int, *, lease: timedelta = DEFAULT_LEASE
) -> list[OutboxItem]:
    """Claim up to `limit` due rows: each becomes 'sending' with a lease until now + lease.

    Due means pending with next_attempt_at <= now, or sending with an expired lease (its worker
    died). Each claim counts as an attempt. On PostgreSQL the rows are picked with FOR UPDATE
    SKIP LOCKED, so several workers claim disjoint rows. Oldest due first.

    A message to a chat is claimed only at the head of that chat's queue: while an earlier one
    waits (in backoff, or claimed by any worker), the later ones wait too, so a chat never sees
    its messages out of order, whichever worker sends them.
    """
    due = (
        select(outbox.c.id)
        .where(
            outbox.c.status.in_(WAITING),
            outbox.c.next_attempt_at <= now,
            or_(outbox.c.kind.not_in(CHAT_KINDS), ~_QUEUED_BEHIND),
        )
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = await conn.execute(
        update(outbox)
        .where(outbox.c.id.in_(due.scalar_subquery()))
        .values(status="sending", attempts=outbox.c.attempts + 1, next_attempt_at=now + lease)
        .returning(*_COLUMNS)
    )
    items = [OutboxItem(*row) for row in claimed]
    items.sort(key=lambda item: (item.created_at, item.id))
    return items


async def mark_sent(
    conn: AsyncConnection, outbox_id: int, sent_message_id: str | None, at: datetime
) -> bool:
    """A claimed row was delivered; False if it was not claimed."""
    result = await conn.execute(
        update(outbox)
        .where(outbox.c.id == outbox_id, outbox.c.status == "sending")
        .values(status="sent", sent_at=at, sent_message_id=sent_message_id, last_error=None)
    )
    return result.rowcount > 0


async def mark_retry(
    conn: AsyncConnection, outbox_id: int, next_attempt_at: datetime, error: str
) -> bool:
    """A claimed row failed for now: pending again from `next_attempt_at`."""
    result = await conn.execute(
        update(outbox)
        .where(outbox.c.id == outbox_id, outbox.c.status == "sending")
        .values(status="pending", next_attempt_at=next_attempt_at, last_error=error)
    )
    return result.rowcount > 0


async def mark_dead(conn: AsyncConnection, outbox_id: int, error: str) -> bool:
    """A claimed row will never be delivered (permanent error or out of attempts)."""
    result = await conn.execute(
        update(outbox)
        .where(outbox.c.id == outbox_id, outbox.c.status == "sending")
        .values(status="dead", last_error=error)
    )
    return result.rowcount > 0


async def list_outbox(conn: AsyncConnection, *, handoff_id: str | None = None) -> list[OutboxItem]:
    """Stored notifications, oldest first; only one handoff's when given."""
    query = select(*_COLUMNS).order_by(outbox.c.id)
    if handoff_id is not None:
        query = query.where(outbox.c.handoff_id == handoff_id)
    return [OutboxItem(*row) for row in await conn.execute(query)]


async def handoff_of_message(
    conn: AsyncConnection, channel: str, target: str, sent_message_id: str
) -> str | None:
    """The handoff a message we sent to an SDR's chat was about (its notice, a reminder, a
    relayed message), or None: what an SDR's reply to that message refers to."""
    query = (
        select(outbox.c.handoff_id)
        .where(
            outbox.c.channel == channel,
            outbox.c.target == target,
            outbox.c.sent_message_id == sent_message_id,
            outbox.c.handoff_id.is_not(None),
        )
        .order_by(outbox.c.id.desc())
        .limit(1)
    )
    found = (await conn.execute(query)).scalar_one_or_none()
    return None if found is None else str(found)
