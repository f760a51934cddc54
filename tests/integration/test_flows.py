"""Flow versions: one draft per flow, publishing makes the newest version, rollback copies."""

import asyncio
from datetime import timedelta

import pytest

from storage.database import Database
from storage.errors import VersionTaken
from storage.flows import (
    count_versions,
    get_draft,
    get_version,
    import_first,
    latest_published,
    list_flow_ids,
    list_versions,
    publish_draft,
    publish_source,
    published_versions,
    rollback,
    save_draft,
)

from .factories import NOW

V1, V2 = "id: bant\nversion: 1\n", "id: bant\nversion: 2\n"


async def test_editing_a_draft_keeps_one_draft_and_nothing_live(db: Database) -> None:
    async with db.transaction() as conn:
        await save_draft(conn, "bant", "draft one", NOW)
        await save_draft(conn, "bant", V1, NOW + timedelta(minutes=1))

    async with db.connection() as conn:
        draft = await get_draft(conn, "bant")
        versions = await list_versions(conn, "bant")
        live = await latest_published(conn, "bant")
    assert draft is not None
    assert (draft.source, draft.updated_at) == (V1, NOW + timedelta(minutes=1))
    assert (versions, live) == ([], None)


async def test_publishing_the_draft_makes_the_newest_version_live(db: Database) -> None:
    async with db.transaction() as conn:
        await import_first(conn, "bant", V1, NOW)
        await save_draft(conn, "bant", V2, NOW)
        published = await publish_draft(conn, "bant", NOW + timedelta(hours=1), "shorter")

    async with db.connection() as conn:
        live = await latest_published(conn, "bant")
        versions = await list_versions(conn, "bant")
        draft = await get_draft(conn, "bant")
        polled = await published_versions(conn)
    assert published == 2
    assert live is not None
    assert (live.version, live.source, live.note) == (2, V2, "shorter")
    assert live.published_at == NOW + timedelta(hours=1)
    assert [(v.version, v.status) for v in versions] == [(2, "published"), (1, "archived")]
    assert draft is None
    assert polled == {"bant": 2}


async def test_rollback_publishes_a_copy_as_the_newest_version(db: Database) -> None:
    async with db.transaction() as conn:
        await import_first(conn, "bant", V1, NOW)
        await save_draft(conn, "bant", V2, NOW)
        await publish_draft(conn, "bant", NOW)

    async with db.transaction() as conn:
        rolled_back = await rollback(conn, "bant", 1, NOW + timedelta(days=1))
        missing = await rollback(conn, "bant", 9, NOW)

    async with db.connection() as conn:
        live = await latest_published(conn, "bant")
        v2 = await get_version(conn, "bant", 2)
    assert (rolled_back, missing) == (3, None)
    assert live is not None
    assert (live.version, live.source, live.note) == (3, V1, "rollback to v1")
    assert v2 is not None
    assert v2.status == "archived"


async def test_import_happens_once_and_publish_needs_a_draft(db: Database) -> None:
    async with db.transaction() as conn:
        first = await import_first(conn, "bant", V1, NOW)
        again = await import_first(conn, "bant", V2, NOW)
        nothing = await publish_draft(conn, "bant", NOW)

    async with db.connection() as conn:
        versions = await count_versions(conn, "bant")
    assert (first, again, nothing, versions) == (True, False, None, 1)


async def test_flows_are_kept_apart_by_id(db: Database) -> None:
    async with db.transaction() as conn:
        await save_draft(conn, "bant", V1, NOW)
        await import_first(conn, "webinar", "id: webinar\n", NOW)

    async with db.connection() as conn:
        ids = await list_flow_ids(conn)
        bant_live = await latest_published(conn, "bant")
        webinar_versions = await count_versions(conn, "webinar")
        unknown = await get_version(conn, "nope", 1)

    assert ids == ["bant", "webinar"]
    assert bant_live is None
    assert webinar_versions == 1
    assert unknown is None


@pytest.mark.postgres
async def test_two_publishes_at_once_one_gets_version_taken_and_writes_nothing(
    postgres_db: Database,
) -> None:
    async with postgres_db.transaction() as conn:
        await import_first(conn, "bant", V1, NOW)

    first = await postgres_db.engine.connect()
    try:
        first_tx = await first.begin()
        assert await publish_source(first, "bant", V2, NOW, "first") == 2  # not committed yet

        async def second() -> None:
            async with postgres_db.transaction() as conn:
                await publish_source(conn, "bant", "id: bant\n# second\n", NOW, "second")

        racing = asyncio.create_task(second())  # computes 2 as well, waits on the unique key
        await asyncio.sleep(0.3)
        await first_tx.commit()
        with pytest.raises(VersionTaken):
            await racing
    finally:
        await first.close()

    async with postgres_db.connection() as conn:
        versions = [(v.version, v.note) for v in await list_versions(conn, "bant")]
    assert sorted(versions) == [(1, "imported"), (2, "first")]
