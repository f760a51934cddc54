"""Benchmark of the group-commit write path: turns/s of storage.turns.write_turns per batch size.

Each turn is what a typical answer writes: the inbound message, one reply, the lead and
conversation upserts and one score event, for leads that already exist (the common case).
One batch is one transaction (BEGIN IMMEDIATE ... COMMIT), as the pipeline's writer task runs it.

    .venv/bin/python bench/storage_turns.py [--url sqlite:///x.db] [--turns 20000]
"""

import argparse
import asyncio
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scoring import EventKind, ScoreEvent
from storage.database import Database
from storage.migrate import upgrade_database
from storage.rows import ConversationRow, LeadRow, MessageRow, new_id
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
    db: Database, leads: list[LeadRow], batch: int, total: int, seq: int
) -> tuple[float, float]:
    """Write `total` turns in batches of `batch`: (turns/s wall clock, CPU µs per turn)."""
    at = START + timedelta(minutes=seq)
    turns = [make_turn(leads[i % LEADS], seq + 2 * (i // LEADS), at) for i in range(total)]
    started, cpu = time.perf_counter(), time.process_time()
    for offset in range(0, total, batch):
        async with db.transaction() as conn:
            await write_turns(conn, turns[offset : offset + batch])
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return total / elapsed, cpu / total * 1e6


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a SQLite file in a temp dir)")
    parser.add_argument("--turns", type=int, default=20_000, help="turns per batch size")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        db = Database.from_url(url, pool_size=1)
        try:
            await upgrade_database(db)
            leads = make_leads()
            await seed(db, leads)
            print(f"write_turns on {db.backend} ({url}), {args.turns} turns per batch size")
            print(f"{'batch':>6} {'turns/s':>9} {'µs/turn':>8} {'CPU µs/turn':>12}")
            seq = 3
            for batch in BATCH_SIZES:
                total = min(args.turns, 2_000) if batch == 1 else args.turns
                rate, cpu_per_turn = await run(db, leads, batch, total, seq)
                seq += 2 * (total // LEADS + 1)
                print(f"{batch:>6} {rate:>9,.0f} {1e6 / rate:>8.0f} {cpu_per_turn:>12.0f}")
        finally:
            await db.dispose()


if __name__ == "__main__":
    asyncio.run(main())
