"""Soak: many prospects, several `qualibot serve` workers on one PostgreSQL database, repeated
deliveries spread across workers, and a worker killed (SIGKILL) every few seconds.

Run: .venv/bin/python bench/soak.py [--workers 4] [--prospects 1000] [--messages 100000]
     [--duplicates 0.2] [--kill-every 5] [--compare]

Each prospect plays a conversation (the web chat API, one message at a time); each message
goes to a random worker, and with probability `--duplicates` the same delivery also goes to
another worker at once. A request that fails (its worker was killed) is sent again, same
message id, to a live worker. At the end the database is read and the report says:

* lost: messages the client saw acknowledged but the database does not have;
* stored twice: an inbound delivery stored more than once;
* doubled replies: a delivery answered by two turns;
* handoffs per SQL: every lead that reached SQL has exactly one handoff;
* with --compare: leads that ended differently from the same conversations on one worker.
"""

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import sys
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[1]
PG_URL = os.environ.get(
    "QUALIBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
# A conversation to SQL, then questions and small talk: long conversations, many turns each.
OPENING = (
    "Halo kak, saya Budi dari PT Maju Jaya",
    "ya",
    "saya owner, saya yang memutuskan",
    "sekitar 80 orang",
    "butuh banget, tim sales kewalahan follow up leads",
    "sekitar 100jt",
    "bulan depan",
    "0812-3456-7890",
)
LATER = (
    "oke makasih",
    "berapa harganya ya?",
    "kapan demonya bisa?",
    "email saya budi@majujaya.co.id",
    "tim kami ada 3 cabang",
    "ok",
)


@dataclass
class Report:
    sent: int = 0  # distinct deliveries acknowledged to the client
    requests: int = 0  # HTTP requests, duplicates and retries included
    retried: int = 0
    kills: int = 0
    lost: int = 0
    stored_twice: int = 0
    doubled_replies: int = 0
    seq_broken: int = 0  # leads whose message sequence numbers are not 1..n
    sql_leads: int = 0
    handoffs_off: int = 0  # SQL leads without exactly one handoff
    different: int = -1  # leads that differ from one worker (-1: not compared)
    seconds: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)

    def ok(self) -> bool:
        return (
            self.lost == 0
            and self.stored_twice == 0
            and self.doubled_replies == 0
            and self.seq_broken == 0
            and self.handoffs_off == 0
            and self.different in (-1, 0)
        )


def script(prospect: int, length: int) -> list[str]:
    extra = [LATER[(prospect + n) % len(LATER)] for n in range(max(0, length - len(OPENING)))]
    return [*OPENING[:length], *extra]


async def _admin(statement: str) -> None:
    engine = create_async_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()


async def fresh_database() -> str:
    name = f"qb_soak_{uuid.uuid4().hex[:10]}"
    await _admin(f'CREATE DATABASE "{name}"')
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


async def drop_database(url: str) -> None:
    await _admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Worker:
    """One `qualibot serve` process on a fixed port; killed and started again at will."""

    def __init__(self, url: str, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("QUALIBOT_")},
            "QUALIBOT_DATABASE_URL": url,
        }
        self._log = log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self._log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "serve", "--port", str(self.port),
                cwd=ROOT, env=self._env, stdout=asyncio.subprocess.DEVNULL, stderr=log,
            )  # fmt: skip
        # Its own session: the load's session may have every connection busy, and a health
        # check waiting in its queue would time out (as the first 100k run did).
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as own:
            for _ in range(600):
                try:
                    async with own.get(f"{self.base}/healthz") as response:
                        if response.status == 200:
                            return
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError(f"worker on {self.port} did not start; see {self._log}")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 15)
            except TimeoutError:
                await self.kill()


async def play(
    workers: Sequence[Worker],
    session: aiohttp.ClientSession,
    *,
    prospects: int,
    length: int,
    duplicates: float,
    seed: int,
    report: Report,
    progress: bool = False,
) -> None:
    chooser = random.Random(seed)
    done = 0

    async def send(body: dict[str, Any], first: Worker) -> None:
        order = [first, *[w for w in workers if w is not first]]
        attempt = 0
        while True:
            live = [w for w in order if w.alive] or list(order)
            worker = live[attempt % len(live)]
            attempt += 1
            report.requests += 1
            try:
                async with session.post(f"{worker.base}/api/chat", json=body) as response:
                    if response.status == 200:
                        await response.read()
                        return
                    report.errors[f"HTTP {response.status}"] += 1
            except (aiohttp.ClientError, TimeoutError) as e:
                report.errors[type(e).__name__] += 1
            report.retried += 1
            await asyncio.sleep(0.05 * min(attempt, 10))

    async def prospect(k: int) -> None:
        nonlocal done
        for n, message in enumerate(script(k, length)):
            body = {"session": f"soak-{k:06d}-x", "message_id": f"p{k}-m{n}", "text": message}
            first = workers[chooser.randrange(len(workers))]
            sends = [send(body, first)]
            if len(workers) > 1 and chooser.random() < duplicates:
                other = workers[(workers.index(first) + 1) % len(workers)]
                sends.append(send(body, other))
            await asyncio.gather(*sends)
            report.sent += 1
            done += 1
            if progress and done % 5000 == 0:
                print(f"  {done:,} messages", file=sys.stderr)

    await asyncio.gather(*(prospect(k) for k in range(prospects)))


async def killer(workers: Sequence[Worker], session: aiohttp.ClientSession, every: float,
                 report: Report, seed: int) -> None:  # fmt: skip
    chooser = random.Random(seed)
    while True:
        await asyncio.sleep(every)
        victim = workers[chooser.randrange(len(workers))]
        report.kills += 1
        await victim.kill()
        await victim.start()


async def check(url: str, report: Report) -> dict[str, tuple[Any, ...]]:
    """Read the database: what was stored, and every lead's end state."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            inbound = (
                await conn.execute(
                    text(
                        "SELECT channel_message_id, count(*) FROM messages "
                        "WHERE direction = 'in' GROUP BY channel_message_id"
                    )
                )
            ).all()
            stored = {row[0] for row in inbound}
            report.stored_twice = sum(1 for row in inbound if row[1] > 1)
            report.lost = max(0, report.sent - len(stored))
            # every lead's messages: sequence numbers 1..n without a gap or a repeat, and
            # no delivery answered twice (its replies the same run twice over)
            rows = (
                await conn.execute(
                    text(
                        "SELECT lead_id, seq, direction, text FROM messages ORDER BY lead_id, seq"
                    )
                )
            ).all()
            replies: dict[tuple[str, int], list[str]] = {}
            seqs: dict[str, list[int]] = {}
            current: tuple[str, int] | None = None
            for lead_id, seq, direction, body in rows:
                seqs.setdefault(lead_id, []).append(seq)
                if direction == "in":
                    current = (lead_id, seq)
                    replies[current] = []
                elif current is not None and current[0] == lead_id:
                    replies[current].append(body)
            report.seq_broken = sum(
                1 for numbers in seqs.values() if numbers != list(range(1, len(numbers) + 1))
            )
            report.doubled_replies = sum(
                1
                for run in replies.values()
                if run and len(run) % 2 == 0 and run[: len(run) // 2] == run[len(run) // 2 :]
            )
            sql = (
                await conn.execute(
                    text(
                        "SELECT l.id, count(h.id) FROM leads l LEFT JOIN handoffs h "
                        "ON h.lead_id = l.id WHERE l.stage = 'sql' GROUP BY l.id"
                    )
                )
            ).all()
            report.sql_leads = len(sql)
            report.handoffs_off = sum(1 for _, handoffs in sql if handoffs != 1)
            leads = (
                await conn.execute(
                    text(
                        "SELECT l.channel_user_id, l.stage, l.name, l.company, l.phone, "
                        "l.email, c.status, "
                        "(SELECT count(*) FROM messages m WHERE m.lead_id = l.id), "
                        "(SELECT count(*) FROM handoffs h WHERE h.lead_id = l.id) "
                        "FROM leads l LEFT JOIN conversations c ON c.lead_id = l.id"
                    )
                )
            ).all()
        return {row[0]: tuple(row[1:]) for row in leads}
    finally:
        await engine.dispose()


async def soak(
    *,
    workers: int,
    prospects: int,
    length: int,
    duplicates: float,
    kill_every: float | None,
    log_dir: Path,
    seed: int = 1,
    progress: bool = False,
) -> tuple[Report, dict[str, tuple[Any, ...]]]:
    url = await fresh_database()
    report = Report()
    try:
        env = {**os.environ, "QUALIBOT_DATABASE_URL": url}
        upgrade = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "db", "upgrade", cwd=ROOT, env=env,
            stdout=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await upgrade.wait()
        started = time.perf_counter()
        timeout = aiohttp.ClientTimeout(total=30)
        connector = aiohttp.TCPConnector(limit=256)
        async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
            pool = [Worker(url, log_dir / f"worker-{n}.log") for n in range(workers)]
            await asyncio.gather(*(w.start() for w in pool))
            kills = (
                asyncio.create_task(killer(pool, session, kill_every, report, seed))
                if kill_every
                else None
            )
            try:
                await play(
                    pool,
                    session,
                    prospects=prospects,
                    length=length,
                    duplicates=duplicates,
                    seed=seed,
                    report=report,
                    progress=progress,
                )
            finally:
                if kills is not None:
                    kills.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await kills
                await asyncio.gather(*(w.stop() for w in pool))
        report.seconds = time.perf_counter() - started
        leads = await check(url, report)
    finally:
        await drop_database(url)
    return report, leads


def compare(one: dict[str, tuple[Any, ...]], many: dict[str, tuple[Any, ...]]) -> int:
    return sum(1 for key in one.keys() | many.keys() if one.get(key) != many.get(key))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--prospects", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--duplicates", type=float, default=0.2)
    parser.add_argument("--kill-every", type=float, default=5.0)
    parser.add_argument("--compare", action="store_true", help="also run on one worker")
    args = parser.parse_args()
    length = max(1, args.messages // args.prospects)
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"qualibot-soak-{os.getpid()}"
    logs.mkdir(parents=True, exist_ok=True)
    print(
        f"{args.workers} workers, {args.prospects} prospects x {length} messages, "
        f"{args.duplicates:.0%} delivered twice, SIGKILL every {args.kill_every} s; logs {logs}",
        file=sys.stderr,
    )
    report, many = asyncio.run(
        soak(
            workers=args.workers,
            prospects=args.prospects,
            length=length,
            duplicates=args.duplicates,
            kill_every=args.kill_every,
            log_dir=logs,
            progress=True,
        )
    )
    if args.compare:
        print("the same conversations on one worker, no kills ...", file=sys.stderr)
        _, one = asyncio.run(
            soak(workers=1, prospects=args.prospects, length=length, duplicates=0.0,
                 kill_every=None, log_dir=logs)
        )  # fmt: skip
        report.different = compare(one, many)
    rate = report.sent / report.seconds if report.seconds else 0.0
    print(
        f"messages {report.sent:,} ({report.requests:,} requests, {report.retried:,} retried, "
        f"{report.kills} kills) in {report.seconds:.0f} s, {rate:,.0f} msg/s\n"
        f"lost {report.lost}, stored twice {report.stored_twice}, "
        f"doubled replies {report.doubled_replies}, sequence breaks {report.seq_broken}, "
        f"SQL leads {report.sql_leads} with "
        f"{report.handoffs_off} not exactly one handoff"
        + (f", leads different from one worker {report.different}" if args.compare else "")
        + (f"\nerrors seen by the client: {dict(report.errors)}" if report.errors else "")
    )
    sys.exit(0 if report.ok() else 1)


if __name__ == "__main__":
    main()
