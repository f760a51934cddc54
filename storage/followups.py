"""Follow-ups: the leads a nurture step or a nudge may be due for, and claiming one once."""

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import Executable, ScalarSelect, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import conversations, job_claims, leads, messages, stage_changes
from storage.statements import insert_for


@dataclass(frozen=True, slots=True)
class FollowupCandidate:
    """A lead the bot may write to first, with what decides whether it should."""

    lead_id: str
    channel: str
    channel_user_id: str
    name: str | None
    language: str
    stage: str
    status: str  # the conversation's
    current_question: str | None
    state_json: str
    stage_since: datetime | None  # when the lead reached its current stage
    last_in_at: datetime | None
    last_out_at: datetime | None
    nurture_started: datetime | None = None  # when its first nurture message was sent
    last_direction: str | None = None  # of the newest message: "out" when the bot waits


async def followup_candidates(
    conn: AsyncConnection, *, channels: tuple[str, ...], stages: tuple[str, ...]
) -> list[FollowupCandidate]:
    """Leads at `stages` on `channels` (where the bot can write first), not opted out."""

    def last(direction: str) -> ScalarSelect[datetime]:
        return (
            select(func.max(messages.c.created_at))
            .where(messages.c.lead_id == leads.c.id, messages.c.direction == direction)
            .scalar_subquery()
        )

    since = (
        select(func.max(stage_changes.c.at))
        .where(stage_changes.c.lead_id == leads.c.id, stage_changes.c.to_stage == leads.c.stage)
        .scalar_subquery()
    )
    query = (
        select(
            leads.c.id,
            leads.c.channel,
            leads.c.channel_user_id,
            leads.c.name,
            leads.c.language,
            leads.c.stage,
            conversations.c.status,
            conversations.c.current_question,
            conversations.c.state,
            since,
            last("in"),
            last("out"),
            select(func.min(job_claims.c.at))
            .where(
                job_claims.c.job == "nurture",
                job_claims.c.key.startswith(leads.c.id.concat(":")),
            )
            .scalar_subquery(),
            select(messages.c.direction)
            .where(messages.c.lead_id == leads.c.id)
            .order_by(messages.c.seq.desc())
            .limit(1)
            .scalar_subquery(),
        )
        .join_from(leads, conversations, conversations.c.lead_id == leads.c.id)
        .where(
            leads.c.channel.in_(channels),
            leads.c.stage.in_(stages),
            leads.c.opted_out.is_(False),
            leads.c.unreachable.is_(False),
        )
        .order_by(leads.c.last_activity_at)
    )
    return [FollowupCandidate(*tuple(row)) for row in await conn.execute(query)]


@cache
def _claim(dialect: str) -> Executable:
    return (
        insert_for(dialect, job_claims)
        .on_conflict_do_nothing(index_elements=["job", "key"])
        .returning(job_claims.c.key)
    )


async def claim(conn: AsyncConnection, job: str, key: str, at: datetime) -> bool:
    """Take (job, key) for this transaction's work; False when it was taken before."""
    values = {"job": job, "key": key, "at": at}
    return (await conn.execute(_claim(conn.dialect.name), values)).first() is not None
