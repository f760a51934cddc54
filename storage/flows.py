"""Flows: versioned flow documents; drafts, publishing (one published version), rollback."""

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Final

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.models import flows


@dataclass(frozen=True, slots=True)
class FlowVersion:
    """One version of a flow's YAML source."""

    flow_id: str
    version: int
    status: str  # 'draft' | 'published' | 'archived'
    source: str
    created_at: datetime
    published_at: datetime | None


_COLUMNS: Final = tuple(flows.c[field.name] for field in fields(FlowVersion))


async def save_draft(conn: AsyncConnection, flow_id: str, source: str, now: datetime) -> int:
    """Save an edit; returns its version. Editing again overwrites the newest draft, so only
    publishing freezes a version; otherwise a new version after the newest is created."""
    newest = (
        await conn.execute(
            select(flows.c.version, flows.c.status)
            .where(flows.c.flow_id == flow_id)
            .order_by(flows.c.version.desc())
            .limit(1)
        )
    ).first()
    if newest is not None and newest.status == "draft":
        await conn.execute(
            update(flows)
            .where(flows.c.flow_id == flow_id, flows.c.version == newest.version)
            .values(source=source, created_at=now)
        )
        return int(newest.version)
    version = 1 if newest is None else int(newest.version) + 1
    await conn.execute(
        flows.insert().values(
            flow_id=flow_id, version=version, status="draft", source=source, created_at=now
        )
    )
    return version


async def _make_published(
    conn: AsyncConnection, flow_id: str, version: int, now: datetime, from_status: str
) -> bool:
    # The target first: if it is missing or in the wrong state, the live version stays live.
    target = await conn.execute(
        update(flows)
        .where(flows.c.flow_id == flow_id, flows.c.version == version)
        .where(flows.c.status == from_status)
        .values(status="published", published_at=now)
    )
    if target.rowcount == 0:
        return False
    await conn.execute(
        update(flows)
        .where(flows.c.flow_id == flow_id, flows.c.version != version)
        .where(flows.c.status == "published")
        .values(status="archived")
    )
    return True


async def publish(conn: AsyncConnection, flow_id: str, version: int, now: datetime) -> bool:
    """Publish a draft, archiving the version that was live; False unless it is a draft."""
    return await _make_published(conn, flow_id, version, now, "draft")


async def rollback(conn: AsyncConnection, flow_id: str, version: int, now: datetime) -> bool:
    """Make an earlier published (now archived) version live again; False if it is not one.
    Conversations already running stay on the version they started with."""
    return await _make_published(conn, flow_id, version, now, "archived")


async def latest_published(conn: AsyncConnection, flow_id: str) -> FlowVersion | None:
    """The live version of a flow, or None if none was published."""
    query = select(*_COLUMNS).where(flows.c.flow_id == flow_id, flows.c.status == "published")
    row = (await conn.execute(query)).first()
    return None if row is None else FlowVersion(*row)


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
    """The ids of every stored flow, alphabetically."""
    query = select(flows.c.flow_id).group_by(flows.c.flow_id).order_by(flows.c.flow_id)
    return list((await conn.execute(query)).scalars())


async def count_versions(conn: AsyncConnection, flow_id: str) -> int:
    """How many versions a flow has."""
    query = select(func.count()).where(flows.c.flow_id == flow_id)
    return int((await conn.execute(query)).scalar_one())
