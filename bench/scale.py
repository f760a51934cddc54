"""Scale-out: web chat messages/s and server CPU per message, one worker against two, on
one PostgreSQL database, side by side in one run (the ratio is the figure).

Run: .venv/bin/python bench/scale.py [--prospects 200] [--messages 20] [--repeats 3]

Each run starts fresh `qualibot serve` processes on a new database and plays closed-loop
prospects (bench/soak.py's conversations, no duplicates, no kills) spread over the workers.
"server CPU" is what the worker processes used (user + system, from /proc) per message.
"""

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import aiohttp
from soak import Report, Worker, drop_database, fresh_database, play

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def run(workers: int, prospects: int, length: int, logs: Path) -> tuple[float, float]:
    """(messages per second, server CPU µs per message)."""
    url = await fresh_database()
    try:
        env = {**os.environ, "QUALIBOT_DATABASE_URL": url}
        upgrade = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "db", "upgrade", env=env,
            stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await upgrade.wait()
        connector = aiohttp.TCPConnector(limit=512)
        async with aiohttp.ClientSession(connector=connector) as session:
            pool = [Worker(url, logs / f"scale-{workers}-{n}.log") for n in range(workers)]
            await asyncio.gather(*(w.start() for w in pool))
            pids = [w.process.pid for w in pool if w.process is not None]
            report = Report()
            # a short warm-up, then the measured run
            await play(pool, session, prospects=prospects // 4, length=4, duplicates=0.0,
                       seed=7, report=Report())  # fmt: skip
            cpu = sum(cpu_seconds(pid) for pid in pids)
            started = time.perf_counter()
            await play(pool, session, prospects=prospects, length=length, duplicates=0.0,
                       seed=1, report=report)  # fmt: skip
            wall = time.perf_counter() - started
            cpu = sum(cpu_seconds(pid) for pid in pids) - cpu
            await asyncio.gather(*(w.stop() for w in pool))
        return report.sent / wall, cpu / report.sent * 1e6
    finally:
        await drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prospects", type=int, default=200)
    parser.add_argument("--messages", type=int, default=20, help="per prospect")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"qualibot-scale-{os.getpid()}"
    logs.mkdir(parents=True, exist_ok=True)
    results: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    for repeat in range(args.repeats):
        for workers in (1, 2):  # alternated, so the VM's phases hit both alike
            rate, cpu = asyncio.run(run(workers, args.prospects, args.messages, logs))
            results[workers].append((rate, cpu))
            print(f"  run {repeat + 1}: {workers} worker(s) {rate:,.0f} msg/s, "
                  f"server CPU {cpu:,.0f} µs/msg", file=sys.stderr)  # fmt: skip
    one = statistics.median(rate for rate, _ in results[1])
    two = statistics.median(rate for rate, _ in results[2])
    cpu_one = statistics.median(cpu for _, cpu in results[1])
    cpu_two = statistics.median(cpu for _, cpu in results[2])
    print(
        f"PostgreSQL, web chat, {args.prospects} closed-loop prospects x {args.messages}: "
        f"1 worker {one:,.0f} msg/s ({cpu_one:,.0f} µs CPU/msg), "
        f"2 workers {two:,.0f} msg/s ({cpu_two:,.0f} µs CPU/msg), ratio {two / one:.2f}"
    )


if __name__ == "__main__":
    main()
