"""Benchmark of the group-commit write path: turns/s per batch size, on SQLite both through an
AsyncConnection (storage.turns.write_turns) and through the writer thread (one hop per batch).

Each turn is what a typical answer writes: the inbound message, one reply, the lead and
conversation upserts and one score event, for leads that already exist (the common case).
One batch is one transaction (BEGIN IMMEDIATE ... COMMIT), as the pipeline's writer task runs it.
CPU is the whole process (the event loop plus the thread where SQLite runs: aiosqlite's or
the writer's);
"loop" is the event loop's thread alone. On PostgreSQL the tables go in a schema of their own,
dropped at the end, so runs do not collide.

    .venv/bin/python bench/storage_turns.py [--url sqlite:///x.db | postgresql://...] [--turns N]
"""

import argparse
import asyncio
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scoring import EventKind, ScoreEvent
from storage.database import Database
from storage.migrate import upgrade_database
from storage.rows import ConversationRow, LeadRow, MessageRow, new_id
from storage.sqlite_writer import SqliteWriter
from storage.turns import TurnWrite, write_turns

BATCH_SIZES = (1, 32, 256)
LEADS = 2_000
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STATE = '{"flow_id": "bant", "slots": {"budget": {"value": 50000000, "raw": "50jt"}}}'


def make_turn(lead: LeadRow, seq: int, at: datetime) -> TurnWrite:
    """One answer of `lead`: inbound at `seq`, the next question at `seq + 1`."""
    inbound = MessageRow(
        new_id(),
        lead.id,
        seq,
        "in",
        lead.channel,
        new_id(),
        "budget sekitar 50jt",
        None,
        None,
        "received",
        at,
    )
    reply = MessageRow(
        new_id(),
        lead.id,
        seq + 1,
        "out",
        lead.channel,
        None,
        "Siapa yang memutuskan?",
        None,
        [{"id": "me", "label": "Saya"}, {"id": "boss", "label": "Atasan"}],
        "pending",
        at,
    )
    conversation = ConversationRow(lead.id, "bant", 1, "active", "authority", STATE, at)
    event = ScoreEvent(at, "budget", "budget 50jt", 15, EventKind.FIT, "budget")
    return TurnWrite(
        lead=replace(lead, score=lead.score + 1, last_activity_at=at),
        conversation=conversation,
        inbound=inbound,
        outbound=(reply,),
        score_events=(event,),
        stage_change=None,
        handoff=None,
        outbox=(),
    )


def make_leads() -> list[LeadRow]:
    return [
        LeadRow(
            new_id(),
            "whatsapp",
            f"62811{i:07d}",
            "Budi",
            None,
            None,
            "PT Maju",
            "id",
            "lead",
            10,
            "cold",
            None,
            False,
            False,
            START,
            START,
        )
        for i in range(LEADS)
    ]


async def seed(db: Database, leads: list[LeadRow]) -> None:
    """Give every lead its first turn, so the measured turns update existing rows."""
    async with db.transaction() as conn:
        await write_turns(conn, [make_turn(lead, 1, START) for lead in leads])


async def run(
    db: Database,
    writer: SqliteWriter | None,
    leads: list[LeadRow],
    batch: int,
    total: int,
    seq: int,
) -> tuple[float, float, float]:
    """Write `total` turns in batches of `batch`, through `writer` or an AsyncConnection.

    Returns turns/s (wall clock), CPU µs per turn (process) and CPU µs per turn (loop thread).
    """
    at = START + timedelta(minutes=seq)
    turns = [make_turn(leads[i % LEADS], seq + 2 * (i // LEADS), at) for i in range(total)]
    started, cpu, loop = time.perf_counter(), time.process_time(), time.thread_time()
    for offset in range(0, total, batch):
        if writer is not None:
            await writer.batch([], turns[offset : offset + batch])
            continue
        async with db.transaction() as conn:
            await write_turns(conn, turns[offset : offset + batch])
    elapsed = time.perf_counter() - started
    cpu, loop = time.process_time() - cpu, time.thread_time() - loop
    return total / elapsed, cpu / total * 1e6, loop / total * 1e6


@asynccontextmanager
async def database(url: str) -> AsyncIterator[Database]:
    """A migrated database at `url`; on PostgreSQL in a new schema, dropped afterwards."""
    if not url.startswith("postgres"):
        db = Database.from_url(url, pool_size=1)
        try:
            await upgrade_database(db)
            yield db
        finally:
            await db.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = Database.from_url(url, pool_size=1)
    try:
        async with admin.transaction() as conn:
            await conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        db = Database.from_url(
            url, pool_size=1, connect_args={"server_settings": {"search_path": schema}}
        )
        try:
            await upgrade_database(db)
            yield db
        finally:
            await db.dispose()
            async with admin.transaction() as conn:
                await conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await admin.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a SQLite file in a temp dir)")
    parser.add_argument("--turns", type=int, default=20_000, help="turns per batch size")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        async with database(url) as db:
            leads = make_leads()
            await seed(db, leads)
            print(f"turn writes on {db.backend} ({url}), {args.turns} turns per batch size")
            print(
                f"{'path':<16} {'batch':>6} {'turns/s':>9} {'µs/turn':>8} {'CPU µs/turn':>12}"
                f" {'loop':>6}"
            )
            writer = SqliteWriter.for_database(db)
            paths: list[tuple[str, SqliteWriter | None]] = [("AsyncConnection", None)]
            if writer is not None:
                await writer.open()
                paths.append(("writer thread", writer))
            seq = 3
            for batch in BATCH_SIZES:
                for name, path in paths:  # side by side, batch size by batch size
                    total = min(args.turns, 2_000) if batch == 1 else args.turns
                    rate, cpu_per_turn, loop_per_turn = await run(
                        db, path, leads, batch, total, seq
                    )
                    seq += 2 * (total // LEADS + 1)
                    print(
                        f"{name:<16} {batch:>6} {rate:>9,.0f} {1e6 / rate:>8.0f}"
                        f" {cpu_per_turn:>12.0f} {loop_per_turn:>6.0f}"
                    )
            if writer is not None:
                await writer.close()


if __name__ == "__main__":
    asyncio.run(main())
