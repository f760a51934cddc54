"""Leads: reads for the pipeline, admin and CLI; unreachable, erasure, stage history, funnel."""

from dataclasses import fields
from datetime import datetime
from typing import Final

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.messages import update_status_by_channel_id
from storage.models import conversations, handoffs, leads, messages, outbox, score_events
from storage.models import stage_changes as stage_changes_table
from storage.rows import LeadRow, StageChangeRow

# Selected in LeadRow's field order, so a result row unpacks straight into LeadRow(*row).
LEAD_COLUMNS: Final = tuple(leads.c[field.name] for field in fields(LeadRow))
_STAGE_CHANGE_COLUMNS: Final = tuple(
    stage_changes_table.c[field.name] for field in fields(StageChangeRow)
)

ERASED_STAGE: Final = "opted_out"
ERASED_REASON: Final = "data erased at the prospect's request"


async def get_lead(conn: AsyncConnection, lead_id: str) -> LeadRow | None:
    """The lead with this id, or None."""
    row = (await conn.execute(select(*LEAD_COLUMNS).where(leads.c.id == lead_id))).first()
    return None if row is None else LeadRow(*row)


async def find_lead(conn: AsyncConnection, channel: str, channel_user_id: str) -> LeadRow | None:
    """The lead a channel user is, or None before their first message."""
    query = select(*LEAD_COLUMNS).where(
        leads.c.channel == channel, leads.c.channel_user_id == channel_user_id
    )
    row = (await conn.execute(query)).first()
    return None if row is None else LeadRow(*row)


async def list_leads(
    conn: AsyncConnection,
    *,
    stage: str | None = None,
    band: str | None = None,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[LeadRow]:
    """Leads, most recently active first, optionally only one stage and/or band, and only
    those whose name, company, email, phone or chat id contains `search` (any case)."""
    query = select(*LEAD_COLUMNS)
    if search:
        pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (
                        leads.c.name,
                        leads.c.company,
                        leads.c.email,
                        leads.c.phone,
                        leads.c.channel_user_id,
                    )
                )
            )
        )
    if stage is not None:
        query = query.where(leads.c.stage == stage)
    if band is not None:
        query = query.where(leads.c.band == band)
    query = query.order_by(leads.c.last_activity_at.desc(), leads.c.id).limit(limit).offset(offset)
    return [LeadRow(*row) for row in await conn.execute(query)]


async def list_stage_changes(conn: AsyncConnection, lead_id: str) -> list[StageChangeRow]:
    """The lead's stage history, oldest first."""
    query = (
        select(*_STAGE_CHANGE_COLUMNS)
        .where(stage_changes_table.c.lead_id == lead_id)
        .order_by(stage_changes_table.c.at, stage_changes_table.c.id)
    )
    return [StageChangeRow(*row) for row in await conn.execute(query)]


async def mark_unreachable(conn: AsyncConnection, lead_id: str, at: datetime) -> bool:
    """Flag a lead we can no longer message (blocked the bot, number invalid); False if absent."""
    result = await conn.execute(
        update(leads).where(leads.c.id == lead_id).values(unreachable=True, updated_at=at)
    )
    return result.rowcount > 0


async def erase_lead(conn: AsyncConnection, lead_id: str, at: datetime) -> bool:
    """Erase what the prospect told us; False if there is no such lead.

    Deletes messages, score events and the conversation; blanks the profile; moves the lead to
    opted_out. The channel user id is PII too (a WhatsApp id is a phone number), so it becomes
    "erased:<lead id>": a later message from the same person starts a new lead. The handoff
    summary and notification payloads repeat the prospect's answers, so they are emptied and
    undelivered notifications are dropped. Stage history stays: it holds no personal data.
    """
    stage = (
        await conn.execute(select(leads.c.stage).where(leads.c.id == lead_id))
    ).scalar_one_or_none()
    if stage is None:
        return False
    await conn.execute(delete(messages).where(messages.c.lead_id == lead_id))
    await conn.execute(delete(score_events).where(score_events.c.lead_id == lead_id))
    await conn.execute(delete(conversations).where(conversations.c.lead_id == lead_id))
    # `=` the lead's one handoff, not IN: with IN, SQLite walks every pending row through the
    # status index instead of the handoff's (see migration 0002)
    handoff_id = select(handoffs.c.id).where(handoffs.c.lead_id == lead_id).scalar_subquery()
    await conn.execute(
        update(outbox)
        .where(outbox.c.handoff_id == handoff_id, outbox.c.status.in_(("pending", "sending")))
        .values(status="dead", last_error="lead erased")
    )
    await conn.execute(update(outbox).where(outbox.c.handoff_id == handoff_id).values(payload={}))
    await conn.execute(
        update(handoffs).where(handoffs.c.lead_id == lead_id).values(summary={}, delivery=None)
    )
    await conn.execute(
        update(leads)
        .where(leads.c.id == lead_id)
        .values(
            channel_user_id=f"erased:{lead_id}",
            name=None,
            phone=None,
            email=None,
            company=None,
            source=None,
            stage=ERASED_STAGE,
            opted_out=True,
            updated_at=at,
        )
    )
    if stage != ERASED_STAGE:
        await conn.execute(
            stage_changes_table.insert().values(
                lead_id=lead_id,
                from_stage=stage,
                to_stage=ERASED_STAGE,
                at=at,
                reason=ERASED_REASON,
            )
        )
    return True


async def funnel_counts(conn: AsyncConnection) -> dict[str, int]:
    """How many leads are at each stage (stages with no lead are absent)."""
    query = select(leads.c.stage, func.count()).group_by(leads.c.stage)
    return {str(stage): int(count) for stage, count in await conn.execute(query)}


async def mark_chat_unreachable(
    conn: AsyncConnection, channel: str, channel_user_id: str, at: datetime
) -> str | None:
    """A channel user blocked the bot: flag their lead; its id, or None if they have none."""
    lead = await find_lead(conn, channel, channel_user_id)
    if lead is None:
        return None
    await mark_unreachable(conn, lead.id, at)
    return lead.id


async def record_receipt(
    conn: AsyncConnection,
    channel: str,
    channel_message_id: str,
    status: str,
    at: datetime,
    *,
    error_code: str | None = None,
    unreachable: bool = False,
) -> LeadRow | None:
    """Apply a delivery receipt (and flag the lead when the number cannot be reached); the
    lead whose message it changed, or None (not one of ours, or not a step forward)."""
    lead_id = await update_status_by_channel_id(
        conn, channel, channel_message_id, status, at, error_code=error_code
    )
    if lead_id is None:
        return None
    if unreachable:
        await mark_unreachable(conn, lead_id, at)
    return await get_lead(conn, lead_id)


async def inactive_leads(conn: AsyncConnection, before: datetime, limit: int = 500) -> list[str]:
    """Ids of leads not erased yet whose last activity is older than `before` (retention)."""
    query = (
        select(leads.c.id)
        .where(leads.c.last_activity_at < before, ~leads.c.channel_user_id.startswith("erased:"))
        .order_by(leads.c.last_activity_at)
        .limit(limit)
    )
    return [str(lead_id) for lead_id in (await conn.execute(query)).scalars()]


async def is_erased(conn: AsyncConnection, lead_id: str) -> bool | None:
    """Whether the lead's personal data was erased; None if there is no such lead."""
    user = (
        await conn.execute(select(leads.c.channel_user_id).where(leads.c.id == lead_id))
    ).scalar_one_or_none()
    return None if user is None else str(user).startswith("erased:")
