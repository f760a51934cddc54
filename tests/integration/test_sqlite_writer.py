"""The SQLite writer thread: a batch of loads and turns in one transaction, all or nothing."""

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from storage import models
from storage.conversations import load_conversation, plan_load
from storage.database import Database
from storage.messages import transcript
from storage.sqlite_writer import SqliteWriter

from .factories import count_rows, make_lead, make_turn


@pytest.fixture
async def writer(sqlite_db: Database) -> AsyncIterator[SqliteWriter]:
    """The writer of a migrated SQLite file (PostgreSQL writes through SQLAlchemy)."""
    found = SqliteWriter.for_database(sqlite_db)
    assert found is not None
    await found.open()
    yield found
    await found.close()


async def test_a_batch_loads_prospects_and_writes_turns(
    sqlite_db: Database, writer: SqliteWriter
) -> None:
    known, other = make_lead(), make_lead(user="u-2")
    await writer.batch([], [make_turn(known)])

    written = await writer.batch(
        [
            lambda dialect: plan_load(dialect, "web", known.channel_user_id),
            lambda dialect: plan_load(dialect, "web", "nobody"),
        ],
        [make_turn(other)],
    )

    assert written.duplicates == set()
    assert written.results[1] is None
    assert written.results[0] is not None
    async with sqlite_db.connection() as conn:
        # what the writer read is what SQLAlchemy reads: the same types, the same values
        assert written.results[0] == await load_conversation(conn, "web", known.channel_user_id)
        assert await load_conversation(conn, "web", "u-2") is not None


async def test_a_large_batch_writes_every_row_in_order(
    sqlite_db: Database, writer: SqliteWriter
) -> None:
    # 97 turns with 3 replies and 2 score events each, in one transaction
    leads = [make_lead(user=f"u-{n}") for n in range(97)]
    replies = ("Halo!", "Boleh tahu nama Anda?", "Terima kasih 🙏")
    turns = [make_turn(lead, replies=replies, points=(10, -5)) for lead in leads]

    written = await writer.batch([], turns)

    assert written.duplicates == set()
    async with sqlite_db.connection() as conn:
        assert await count_rows(conn, models.leads) == 97
        assert await count_rows(conn, models.messages) == 97 * 4
        assert await count_rows(conn, models.score_events) == 97 * 2
        stored = await transcript(conn, leads[50].id)
    inbound = turns[50].inbound
    assert inbound is not None
    assert [(m.seq, m.direction, m.text) for m in stored] == [
        (1, "in", inbound.text),
        (2, "out", "Halo!"),
        (3, "out", "Boleh tahu nama Anda?"),
        (4, "out", "Terima kasih 🙏"),
    ]


async def test_a_repeated_delivery_is_reported_as_a_duplicate(writer: SqliteWriter) -> None:
    lead = make_lead()
    await writer.batch([], [make_turn(lead, inbound_id="m-1")])

    written = await writer.batch([], [make_turn(lead, seq=3, inbound_id="m-1")])

    assert written.duplicates == {0}


async def test_a_failing_batch_raises_sqlalchemys_error_and_writes_nothing(
    sqlite_db: Database, writer: SqliteWriter
) -> None:
    lead = make_lead()
    good = make_turn(lead, inbound_id="m-1")
    # the same outbound message id twice: the primary key refuses the second
    broken = make_turn(lead, seq=5, inbound_id="m-2")
    broken = replace(broken, outbound=good.outbound)

    with pytest.raises(IntegrityError):
        await writer.batch([], [good, broken])

    async with sqlite_db.connection() as conn:
        assert await count_rows(conn, models.messages) == 0
        assert await count_rows(conn, models.leads) == 0
    # the writer is usable again after the rollback
    assert (await writer.batch([], [good])).duplicates == set()


async def test_in_memory_and_postgresql_databases_have_no_writer(tmp_path: Path) -> None:
    memory = Database.from_url("sqlite://")
    postgres = Database.from_url("postgresql://localhost/test")
    file = Database.from_url(f"sqlite:///{tmp_path / 'x.db'}")

    assert SqliteWriter.for_database(memory) is None
    assert SqliteWriter.for_database(postgres) is None
    assert SqliteWriter.for_database(file) is not None
    for db in (memory, postgres, file):
        await db.dispose()
