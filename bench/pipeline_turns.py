"""Pipeline throughput without HTTP: the e2e script's prospects straight into Pipeline.handle
on SQLite (engine, group commit, reply after commit), with the CPU each message costs.

Run: .venv/bin/python bench/pipeline_turns.py [--prospects 64] [--rounds 3] [--repeats 3]
Pin it (`taskset -c 0`) to compare with the server's CPU per message in bench/e2e.py.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from e2e import SCRIPT

from bot.pipeline import Pipeline
from dialogs import Channel, InboundMessage, load_flow
from storage.database import Database
from storage.migrate import upgrade_database
from storage.writer import Writer


async def measure(prospects: int, rounds: int) -> tuple[float, float, float, float]:
    """msg/s, process CPU µs/msg, main-thread CPU µs/msg, turns per batch."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Database.from_url(f"sqlite:///{Path(tmp) / 'bench.db'}")
        await upgrade_database(db)
        writer = Writer(db)
        await writer.start()
        pipeline = Pipeline(db, writer, load_flow(), clock=lambda: datetime.now(UTC))

        async def prospect(user: str) -> None:
            for n, (text, choice) in enumerate(SCRIPT):
                inbound = InboundMessage(
                    Channel.WEB,
                    user,
                    f"{user}-{n}",
                    datetime.now(UTC),
                    text=text,
                    choice_id=choice,
                )
                await pipeline.handle(inbound)

        await asyncio.gather(*(prospect(f"warm{n}") for n in range(prospects)))
        batches = writer.batches
        wall, cpu, main = time.perf_counter(), time.process_time(), time.thread_time()
        for r in range(rounds):
            await asyncio.gather(*(prospect(f"r{r}-{n}") for n in range(prospects)))
        wall, cpu, main = (
            time.perf_counter() - wall,
            time.process_time() - cpu,
            time.thread_time() - main,
        )
        messages = rounds * prospects * len(SCRIPT)
        per_batch = messages / max(1, writer.batches - batches)
        await writer.stop()
        await db.dispose()
    return messages / wall, cpu / messages * 1e6, main / messages * 1e6, per_batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--prospects", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    runs = [asyncio.run(measure(args.prospects, args.rounds)) for _ in range(args.repeats)]
    for rate, cpu, main_cpu, per_batch in runs:
        print(
            f"  {rate:7,.0f} msg/s   process CPU {cpu:4.0f} µs/msg   "
            f"main thread {main_cpu:4.0f} µs/msg   {per_batch:4.1f} turns/commit"
        )
    print(f"median {statistics.median(r[0] for r in runs):,.0f} msg/s")


if __name__ == "__main__":
    main()
