"""Instructions per message, counted by valgrind's callgrind: a figure that does not move with
the VM's noise, for comparing two versions of the code (wall-clock rates on this machine swing
by 25% between identical runs; the same instruction count comes back to within 0.1%).

Run: .venv/bin/python bench/instructions.py [--mode pipeline|serve] [--prospects 32] [--rounds 2]
     [--tree PATH ...]   (checkouts to compare, e.g. a `git worktree` of main; each is run with
     this venv's Python and its own packages first on PYTHONPATH)

`pipeline`: the e2e script's prospects straight into Pipeline.handle on a SQLite file (engine,
group commit, writer thread). `serve`: `qualibot serve` under callgrind, the same prospects
over HTTP (aiohttp, JSON, the pipeline). Counting is switched on after a warm-up round, so
imports and migrations are left out. Instructions are not time: system calls and cache misses
are not in them, so confirm a change that matters with bench/e2e.py as well.
"""

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e2e import SCRIPT, free_port, post_message, wait_ready

BENCH = Path(__file__).resolve()


def counting(on: bool, pid: int | None = None) -> None:
    """Switch callgrind's counting on or off in a process running under it."""
    subprocess.run(
        ["callgrind_control", "-i", "on" if on else "off", str(pid or os.getpid())],
        stdout=subprocess.DEVNULL,
        check=True,
    )


def total_instructions(out: Path) -> int:
    for line in out.read_text().splitlines():
        if line.startswith("totals:"):
            return int(line.split()[1])
    raise SystemExit(f"no totals in {out}: did callgrind run?")


async def pipeline_rounds(prospects: int, rounds: int) -> int:
    """Runs inside callgrind (the `--inside` re-run of this script); the messages counted."""
    from bot.pipeline import Pipeline
    from dialogs import Channel, InboundMessage, load_flow
    from storage.database import Database
    from storage.migrate import upgrade_database
    from storage.writer import Writer

    with tempfile.TemporaryDirectory() as tmp:
        db = Database.from_url(f"sqlite:///{Path(tmp) / 'bench.db'}")
        await upgrade_database(db)
        writer = Writer(db)
        await writer.start()
        instant = [datetime(2026, 5, 1, tzinfo=UTC)]

        def clock() -> datetime:
            instant[0] += timedelta(milliseconds=3)  # the same instants in every run
            return instant[0]

        pipeline = Pipeline(db, writer, load_flow(), clock=clock)

        async def prospect(user: str) -> None:
            for n, (text, choice) in enumerate(SCRIPT):
                inbound = InboundMessage(
                    Channel.WEB, user, f"{user}-{n}", clock(), text=text, choice_id=choice
                )
                await pipeline.handle(inbound)

        await asyncio.gather(*(prospect(f"warm{n}") for n in range(prospects)))
        counting(True)
        for r in range(rounds):
            await asyncio.gather(*(prospect(f"r{r}-{n}") for n in range(prospects)))
        counting(False)
        await writer.stop()
        await db.dispose()
    return rounds * prospects * len(SCRIPT)


async def play(url: str, prospects: int, tag: str) -> None:
    """`prospects` prospects at once, each through the whole script."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:

        async def prospect(n: int) -> None:
            for i in range(len(SCRIPT)):
                await post_message(http, url, f"{tag}{n}", i)

        await asyncio.gather(*(prospect(n) for n in range(prospects)))


def callgrind(out: Path, args: list[str]) -> list[str]:
    return [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",  # counted from the warm-up's end only
        f"--callgrind-out-file={out}",
        sys.executable,
        *args,
    ]


def measure(mode: str, tree: Path, prospects: int, rounds: int) -> tuple[int, int]:
    """(instructions, messages) for one run of `mode` on the checkout at `tree`."""
    # PYTHONHASHSEED: the same set and dict layouts every run
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(tree)}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        if mode == "pipeline":
            command = callgrind(
                out,
                [str(BENCH), "--inside", "--prospects", str(prospects), "--rounds", str(rounds)],
            )
            done = subprocess.run(
                command, cwd=tree, env=env, capture_output=True, text=True, check=False
            )
            if done.returncode != 0:
                raise SystemExit(f"the pipeline run failed:\n{done.stderr[-2000:]}")
            return total_instructions(out), int(done.stdout.split()[-1])
        port = free_port()
        env["QUALIBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        command = callgrind(out, ["-m", "bot", "serve", "--port", str(port)])
        server = subprocess.Popen(
            command, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        try:
            url = f"http://127.0.0.1:{port}"
            asyncio.run(wait_ready(url, attempts=1200))  # valgrind starts Python slowly
            asyncio.run(play(url, prospects, "warm"))
            counting(True, server.pid)
            for r in range(rounds):
                asyncio.run(play(url, prospects, f"r{r}-"))
            counting(False, server.pid)
        finally:
            server.terminate()
            server.wait(timeout=120)
        return total_instructions(out), rounds * prospects * len(SCRIPT)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=["pipeline", "serve"], default="pipeline")
    parser.add_argument("--prospects", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tree", type=Path, action="append", help="a checkout to measure")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        print(asyncio.run(pipeline_rounds(args.prospects, args.rounds)))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    trees = args.tree or [BENCH.parent.parent]
    print(f"  measuring {len(trees)} checkout(s) ({args.mode}) under callgrind, side by side ...")
    # Counts do not depend on what else runs, so the checkouts run at once (a minute each).
    with ThreadPoolExecutor(len(trees)) as pool:
        runs = pool.map(
            lambda tree: measure(args.mode, tree.resolve(), args.prospects, args.rounds), trees
        )
        for tree, (instructions, messages) in zip(trees, runs, strict=True):
            print(
                f"{args.mode:<9} {instructions / messages:>12,.0f} instructions/msg"
                f"   ({instructions:,} for {messages} messages)   {tree}",
                flush=True,
            )


if __name__ == "__main__":
    main()
