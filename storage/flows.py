"""Flows: numbered versions (one published per flow) and one draft per flow.

A version, once written, never changes: publishing a draft and rolling back both add the
newest version, so version numbers are the order in which flows went live. A conversation
keeps the version it started with (conversations.flow_version); new conversations take the
published one.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.errors import VersionTaken
from storage.models import flow_drafts, flows


@dataclass(frozen=True, slots=True)
class FlowVersion:
    """One version of a flow's YAML source."""

    flow_id: str
    version: int
    status: str  # 'published' | 'archived'
    source: str
    created_at: datetime
    published_at: datetime | None
    note: str | None


@dataclass(frozen=True, slots=True)
class Draft:
    """An admin's unpublished edit of a flow."""

    flow_id: str
    source: str
    updated_at: datetime


_COLUMNS = (
    flows.c.flow_id,
    flows.c.version,
    flows.c.status,
    flows.c.source,
    flows.c.created_at,
    flows.c.published_at,
    flows.c.note,
)


async def save_draft(conn: AsyncConnection, flow_id: str, source: str, now: datetime) -> None:
    """Keep an edit as the flow's draft (replacing the previous draft); nothing goes live."""
    await conn.execute(delete(flow_drafts).where(flow_drafts.c.flow_id == flow_id))
    await conn.execute(flow_drafts.insert().values(flow_id=flow_id, source=source, updated_at=now))


async def get_draft(conn: AsyncConnection, flow_id: str) -> Draft | None:
    query = select(flow_drafts.c.flow_id, flow_drafts.c.source, flow_drafts.c.updated_at).where(
        flow_drafts.c.flow_id == flow_id
    )
    row = (await conn.execute(query)).first()
    return None if row is None else Draft(*row)


async def discard_draft(conn: AsyncConnection, flow_id: str) -> bool:
    result = await conn.execute(delete(flow_drafts).where(flow_drafts.c.flow_id == flow_id))
    return bool(result.rowcount)


async def publish_source(
    conn: AsyncConnection, flow_id: str, source: str, now: datetime, note: str | None = None
) -> int:
    """Make `source` the newest version and the live one; the number it got.

    Two admins publishing at once: one of them hits the (flow_id, version) unique constraint,
    gets VersionTaken and nothing of theirs is written (the caller's transaction is over)."""
    newest = (
        await conn.execute(select(func.max(flows.c.version)).where(flows.c.flow_id == flow_id))
    ).scalar_one_or_none()
    version = 1 if newest is None else int(newest) + 1
    await conn.execute(
        update(flows)
        .where(flows.c.flow_id == flow_id, flows.c.status == "published")
        .values(status="archived")
    )
    try:
        await conn.execute(
            flows.insert().values(
                flow_id=flow_id,
                version=version,
                status="published",
                source=source,
                created_at=now,
                published_at=now,
                note=note or None,
            )
        )
    except IntegrityError as e:
        raise VersionTaken(flow_id, version) from e
    return version


async def publish_draft(
    conn: AsyncConnection, flow_id: str, now: datetime, note: str | None = None
) -> int | None:
    """Publish the flow's draft as the newest version (the draft is then gone); None if
    there is no draft."""
    draft = await get_draft(conn, flow_id)
    if draft is None:
        return None
    version = await publish_source(conn, flow_id, draft.source, now, note)
    await discard_draft(conn, flow_id)
    return version


async def rollback(conn: AsyncConnection, flow_id: str, version: int, now: datetime) -> int | None:
    """Publish a copy of `version` as the newest version; None if there is no such version.
    Conversations already running stay on the version they started with."""
    old = await get_version(conn, flow_id, version)
    if old is None:
        return None
    return await publish_source(conn, flow_id, old.source, now, f"rollback to v{version}")


async def import_first(conn: AsyncConnection, flow_id: str, source: str, now: datetime) -> bool:
    """Store `source` as version 1 of a flow the database does not have yet; False if it has
    one already (the database is the source of truth from then on)."""
    if await count_versions(conn, flow_id):
        return False
    await publish_source(conn, flow_id, source, now, "imported")
    return True


async def latest_published(conn: AsyncConnection, flow_id: str) -> FlowVersion | None:
    """The live version of a flow, or None if none was published."""
    query = select(*_COLUMNS).where(flows.c.flow_id == flow_id, flows.c.status == "published")
    row = (await conn.execute(query)).first()
    return None if row is None else FlowVersion(*row)


async def published_versions(conn: AsyncConnection) -> dict[str, int]:
    """Flow id -> its live version number: what a serving process polls to notice a publish."""
    query = select(flows.c.flow_id, flows.c.version).where(flows.c.status == "published")
    return {str(flow_id): int(version) for flow_id, version in await conn.execute(query)}


async def get_version(conn: AsyncConnection, flow_id: str, version: int) -> FlowVersion | None:
    """One version (a conversation keeps running on the version it started with)."""
    query = select(*_COLUMNS).where(flows.c.flow_id == flow_id, flows.c.version == version)
    row = (await conn.execute(query)).first()
    return None if row is None else FlowVersion(*row)


async def list_versions(conn: AsyncConnection, flow_id: str) -> list[FlowVersion]:
    """Every version of a flow, newest first."""
    query = select(*_COLUMNS).where(flows.c.flow_id == flow_id).order_by(flows.c.version.desc())
    return [FlowVersion(*row) for row in await conn.execute(query)]


async def list_flow_ids(conn: AsyncConnection) -> list[str]:
    """The ids of every stored flow (versions or only a draft), alphabetically."""
    versions = select(flows.c.flow_id)
    drafts = select(flow_drafts.c.flow_id)
    query = versions.union(drafts)
    return sorted(str(flow_id) for flow_id in (await conn.execute(query)).scalars())


async def count_versions(conn: AsyncConnection, flow_id: str) -> int:
    """How many versions a flow has."""
    query = select(func.count()).where(flows.c.flow_id == flow_id)
    return int((await conn.execute(query)).scalar_one())
