"""Two workers on one PostgreSQL database give exactly what one worker gives.

Each worker is a whole pipeline with its own memory (cache, per-lead locks) and its own
database engine, as two `qualibot serve` processes are. Prospects' messages alternate between
them, some are delivered again to the other worker (at once, while the first may still be
working), and the end state of every lead (stage, score, slots, transcript) must equal the
same conversations played on one worker.
"""

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from bot.pipeline import Outcome, Pipeline
from dialogs import Channel, InboundMessage, load_flow
from scoring import Engagement
from storage import leads, messages
from storage.conversations import get_conversation
from storage.database import Database
from storage.models import metadata
from storage.score_events import list_score_events
from storage.writer import Writer
from tests.postgres import PG_URL

NOW = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)
SCRIPT = (
    "Halo, saya Budi dari PT Maju Jaya",
    "ya",
    "saya owner, saya yang memutuskan",
    "sekitar 80 orang",
    "butuh banget, tim sales kewalahan follow up leads",
    "sekitar 100jt",
    "bulan depan",
    "0812-3456-7890",
)
PROSPECTS = 30


class Worker:
    """One process's worth: a writer and a pipeline over its own engine."""

    def __init__(self, schema: str, clock: Callable[[], datetime] = lambda: NOW) -> None:
        # an engine of its own, on the test's schema (as conftest builds one)
        self.db = Database.from_url(
            PG_URL, connect_args={"server_settings": {"search_path": schema}, "timeout": 3}
        )
        self.writer = Writer(self.db)
        self.pipeline = Pipeline(self.db, self.writer, load_flow(), clock=clock)

    async def start(self) -> None:
        await self.writer.start()

    async def stop(self) -> None:
        await self.writer.stop()
        await self.db.dispose()


@asynccontextmanager
async def two_workers(schema: str, clock: Callable[[], datetime]) -> AsyncIterator[list[Worker]]:
    """Two started workers on one schema, stopped at the end."""
    workers = [Worker(schema, clock=clock) for _ in range(2)]
    for worker in workers:
        await worker.start()
    try:
        yield workers
    finally:
        for worker in workers:
            await worker.stop()


def message(user: str, n: int) -> InboundMessage:
    return InboundMessage(
        channel=Channel.WEB,
        channel_user_id=user,
        message_id=f"{user}-{n}",
        sent_at=NOW + timedelta(seconds=n),
        text=SCRIPT[n],
    )


async def play(workers: list[Worker], *, seed: int) -> list[Outcome]:
    """Every prospect's script in order; each message to one worker (and sometimes, at the
    same time, to the other one too)."""
    chooser = random.Random(seed)

    async def prospect(user: str) -> list[Outcome]:
        got: list[Outcome] = []
        for n in range(len(SCRIPT)):
            first = workers[(n + chooser.randrange(2)) % len(workers)]
            sends = [first.pipeline.handle(message(user, n))]
            if len(workers) > 1 and chooser.random() < 0.2:
                other = workers[(workers.index(first) + 1) % len(workers)]
                sends.append(other.pipeline.handle(message(user, n)))
            got.extend(await asyncio.gather(*sends))
        return got

    results = await asyncio.gather(*(prospect(f"p{k}") for k in range(PROSPECTS)))
    return [outcome for outcomes in results for outcome in outcomes]


async def snapshot(db: Database) -> dict[str, object]:
    """Every lead as the database has it: what a report would show."""
    found: dict[str, object] = {}
    async with db.connection() as conn:
        for k in range(PROSPECTS):
            lead = await leads.find_lead(conn, "web", f"p{k}")
            assert lead is not None
            conversation = await get_conversation(conn, lead.id)
            assert conversation is not None
            stored = await messages.transcript(conn, lead.id)
            found[f"p{k}"] = (
                lead.stage,
                lead.score,
                lead.name,
                lead.company,
                lead.phone,
                conversation.status,
                [(m.seq, m.direction, m.text) for m in stored],
            )
    return found


async def run_with(schema: str, count: int, database: Database) -> dict[str, object]:
    workers = [Worker(schema) for _ in range(count)]
    for worker in workers:
        await worker.start()
    try:
        outcomes = await play(workers, seed=count)
    finally:
        for worker in workers:
            await worker.stop()
    # a delivery handled twice is answered once; its copy is a duplicate (no new replies)
    assert sum(not o.duplicate for o in outcomes) == PROSPECTS * len(SCRIPT)
    return await snapshot(database)


async def test_two_workers_end_exactly_like_one(
    postgres_db: Database, postgres_schema: str
) -> None:
    alone = await run_with(postgres_schema, 1, postgres_db)
    async with postgres_db.transaction() as conn:
        for table in reversed(metadata.sorted_tables):  # children first
            await conn.execute(table.delete())

    together = await run_with(postgres_schema, 2, postgres_db)

    assert together == alone


async def test_silence_is_scored_once_whichever_workers_notice_it(
    postgres_db: Database, postgres_schema: str
) -> None:
    now = [NOW]
    async with two_workers(postgres_schema, lambda: now[0]) as workers:
        await workers[0].pipeline.handle(message("quiet", 0))
        now[0] = NOW + timedelta(days=2)  # both workers' scheduler passes find it silent
        outcomes = await asyncio.gather(
            *(w.pipeline.signal("web", "quiet", Engagement.WENT_SILENT) for w in workers)
        )

    assert sum(o is not None for o in outcomes) == 1
    async with postgres_db.connection() as conn:
        lead = await leads.find_lead(conn, "web", "quiet")
        assert lead is not None
        events = await list_score_events(conn, lead.id)
    assert [e.rule_id for e in events].count("engagement.went_silent") == 1


async def test_a_worker_that_waited_for_the_lock_reads_what_the_holder_committed(
    postgres_db: Database, postgres_schema: str
) -> None:
    # PostgreSQL re-reads a row it waited to lock in its newest version, but the rest of the
    # same statement as of the statement's start: the conversation must be read after the lock.
    now = [NOW]
    async with two_workers(postgres_schema, lambda: now[0]) as workers:
        await workers[0].pipeline.handle(message("held", 0))
        now[0] = NOW + timedelta(days=2)
        async with workers[0].db.transaction() as holder:
            lead = await leads.find_lead(holder, "web", "held")
            assert lead is not None
            await holder.execute(
                metadata.tables["leads"].update().where(metadata.tables["leads"].c.id == lead.id)
                .values(updated_at=now[0])
            )  # fmt: skip
            # the lead is locked by this transaction; the other worker's signal waits for it
            waiting = asyncio.create_task(
                workers[1].pipeline.signal("web", "held", Engagement.WENT_SILENT)
            )
            await asyncio.sleep(0.5)
            assert not waiting.done()
            # meanwhile the prospect answered (as a turn of this transaction would write)
            conversations = metadata.tables["conversations"]
            await holder.execute(
                conversations.update().where(conversations.c.lead_id == lead.id)
                .values(updated_at=now[0], version=conversations.c.version + 1)
            )  # fmt: skip
        outcome = await waiting

    assert outcome is None  # not silent any more: nothing scored
    async with postgres_db.connection() as conn:
        events = await list_score_events(conn, lead.id)
    assert [e.rule_id for e in events].count("engagement.went_silent") == 0
