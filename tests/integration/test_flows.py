"""Flow versions: drafts, publishing one version at a time, rollback."""

from datetime import timedelta

from storage.database import Database
from storage.flows import (
    count_versions,
    get_version,
    latest_published,
    list_flow_ids,
    list_versions,
    publish,
    rollback,
    save_draft,
)

from .factories import NOW

V1, V2 = "id: bant\nversion: 1\n", "id: bant\nversion: 2\n"


async def test_editing_a_draft_keeps_one_draft_version(db: Database) -> None:
    async with db.transaction() as conn:
        first = await save_draft(conn, "bant", "draft one", NOW)
        second = await save_draft(conn, "bant", V1, NOW + timedelta(minutes=1))

    async with db.connection() as conn:
        versions = await list_versions(conn, "bant")
        live = await latest_published(conn, "bant")
    assert (first, second) == (1, 1)
    assert [(v.version, v.status, v.source) for v in versions] == [(1, "draft", V1)]
    assert live is None


async def test_publishing_archives_the_live_version(db: Database) -> None:
    async with db.transaction() as conn:
        await save_draft(conn, "bant", V1, NOW)
        await publish(conn, "bant", 1, NOW)
        after_publish = await save_draft(conn, "bant", V2, NOW)

    async with db.transaction() as conn:
        published = await publish(conn, "bant", 2, NOW + timedelta(hours=1))

    async with db.connection() as conn:
        live = await latest_published(conn, "bant")
        versions = await list_versions(conn, "bant")
    assert (after_publish, published) == (2, True)
    assert live is not None
    assert (live.version, live.source, live.published_at) == (2, V2, NOW + timedelta(hours=1))
    assert [(v.version, v.status) for v in versions] == [(2, "published"), (1, "archived")]


async def test_rollback_makes_an_earlier_version_live_again(db: Database) -> None:
    async with db.transaction() as conn:
        await save_draft(conn, "bant", V1, NOW)
        await publish(conn, "bant", 1, NOW)
        await save_draft(conn, "bant", V2, NOW)
        await publish(conn, "bant", 2, NOW)

    async with db.transaction() as conn:
        rolled_back = await rollback(conn, "bant", 1, NOW + timedelta(days=1))

    async with db.connection() as conn:
        live = await latest_published(conn, "bant")
        v2 = await get_version(conn, "bant", 2)
    assert rolled_back is True
    assert live is not None
    assert (live.version, live.source) == (1, V1)
    assert v2 is not None
    assert v2.status == "archived"


async def test_publish_and_rollback_refuse_the_wrong_versions(db: Database) -> None:
    async with db.transaction() as conn:
        await save_draft(conn, "bant", V1, NOW)
        await publish(conn, "bant", 1, NOW)
        await save_draft(conn, "bant", V2, NOW)

    async with db.transaction() as conn:
        missing = await publish(conn, "bant", 9, NOW)
        republish = await publish(conn, "bant", 1, NOW)
        rollback_to_draft = await rollback(conn, "bant", 2, NOW)
        rollback_to_live = await rollback(conn, "bant", 1, NOW)

    async with db.connection() as conn:
        live = await latest_published(conn, "bant")
    assert (missing, republish, rollback_to_draft, rollback_to_live) == (False,) * 4
    assert live is not None
    assert live.version == 1


async def test_flows_are_kept_apart_by_id(db: Database) -> None:
    async with db.transaction() as conn:
        await save_draft(conn, "bant", V1, NOW)
        await save_draft(conn, "webinar", "id: webinar\n", NOW)
        await publish(conn, "webinar", 1, NOW)

    async with db.connection() as conn:
        ids = await list_flow_ids(conn)
        bant_live = await latest_published(conn, "bant")
        webinar_versions = await count_versions(conn, "webinar")
        unknown = await get_version(conn, "nope", 1)

    assert ids == ["bant", "webinar"]
    assert bant_live is None
    assert webinar_versions == 1
    assert unknown is None
