"""End-to-end throughput: simulated prospects over HTTP against `qualibot serve` on SQLite,
next to a bare aiohttp handler measured in the same run (the ratio is the figure).

Run: .venv/bin/python bench/e2e.py [--seconds 8] [--concurrency 64] [--rate 1000]
The servers run pinned to CPU 0, this load generator to CPU 1 (when the machine has two).
"""

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path

import aiohttp
import orjson

SCRIPT = [
    ("Halo kak", None),
    ("", "yes"),
    ("Budi Santoso", None),
    ("PT Maju Jaya", None),
    ("saya owner, saya yang memutuskan", None),
    ("", "s51_200"),
    ("butuh banget, tim sales kewalahan follow up leads", None),
    ("sekitar 100jt", None),
    ("bulan depan", None),
    ("", "phone"),
    ("0812-3456-7890", None),
]
BARE = """
import orjson, sys
from aiohttp import web
REPLY = orjson.dumps({"replies": [{"text": "ok", "choices": []}], "stage": "lead", "score": 0})
async def chat(request):
    orjson.loads(await request.read())
    return web.Response(body=REPLY, content_type="application/json")
app = web.Application()
app.router.add_post("/api/chat", chat)
app.router.add_get("/healthz", lambda r: web.json_response({"ok": True}))
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pin(cpu: int, pid: int = 0) -> None:
    """Keep a process on one CPU so the server and the load generator do not share one."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(pid, {cpu})


@contextmanager
def server(command: list[str], env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    pin(0, process.pid)
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


async def wait_ready(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise SystemExit(f"server at {url} did not start; run `qualibot serve` by hand to see why")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def closed_loop(
    url: str, seconds: float, concurrency: int, tag: str
) -> tuple[float, list[float]]:
    """`concurrency` prospects each play the script back to back; (messages/s, latencies)."""
    latencies: list[float] = []
    sessions = count()
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def prospect() -> None:
            while time.perf_counter() < deadline:
                session = f"{tag}{next(sessions)}"
                for i, (text, choice) in enumerate(SCRIPT):
                    body = orjson.dumps(
                        {
                            "session": session,
                            "message_id": f"{session}-{i}",
                            "text": text,
                            "choice": choice,
                        }
                    )
                    started = time.perf_counter()
                    async with http.post(
                        url + "/api/chat", data=body, headers={"Content-Type": "application/json"}
                    ) as r:
                        await r.read()
                        if r.status != 200:
                            raise SystemExit(f"{url} answered {r.status}")
                    latencies.append(time.perf_counter() - started)
                    if time.perf_counter() >= deadline:
                        return

        started = time.perf_counter()
        await asyncio.gather(*(prospect() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies


async def open_loop(url: str, seconds: float, rate: float, tag: str) -> list[float]:
    """Messages at a fixed rate (new prospects as needed); the latencies."""
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        pending: list[asyncio.Task[None]] = []

        async def send(session: str, i: int) -> None:
            text, choice = SCRIPT[i]
            body = orjson.dumps(
                {
                    "session": session,
                    "message_id": f"{session}-{i}",
                    "text": text,
                    "choice": choice,
                }
            )
            started = time.perf_counter()
            async with http.post(
                url + "/api/chat", data=body, headers={"Content-Type": "application/json"}
            ) as r:
                await r.read()
            latencies.append(time.perf_counter() - started)

        total = int(seconds * rate)
        begin = time.perf_counter()
        for n in range(total):
            # each prospect's messages go out one per 11 sends, so they never overlap
            session, i = f"{tag}{n // len(SCRIPT)}", n % len(SCRIPT)
            delay = begin + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            pending.append(asyncio.create_task(send(session, i)))
        await asyncio.gather(*pending)
    return latencies


def report(name: str, rate: float, latencies: list[float]) -> str:
    return (
        f"{name:<28} {rate:>9,.0f} msg/s   p50 {percentile(latencies, 0.5) * 1000:6.2f} ms"
        f"   p99 {percentile(latencies, 0.99) * 1000:7.2f} ms"
    )


async def measure(
    url: str, args: argparse.Namespace, tag: str
) -> tuple[float, list[float], list[float]]:
    await wait_ready(url)
    await closed_loop(url, 1.0, args.concurrency, tag + "w")  # warm up
    rates, all_latencies = [], []
    for r in range(args.repeats):
        rate, latencies = await closed_loop(url, args.seconds, args.concurrency, f"{tag}{r}-")
        rates.append(rate)
        all_latencies += latencies
        print(f"  {tag} run {r + 1}: {rate:,.0f} msg/s", flush=True)
    fixed = await open_loop(url, args.seconds, args.rate, tag + "o")
    return statistics.median(rates), all_latencies, fixed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rate", type=float, default=1000.0, help="open-loop messages/s")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    pin(1)
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "QUALIBOT_DATABASE_URL": f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
        }
        bare_port, bot_port = free_port(), free_port()
        results = {}
        with server([python, "-c", BARE, str(bare_port)], env):
            results["bare aiohttp handler"] = asyncio.run(
                measure(f"http://127.0.0.1:{bare_port}", args, "bare")
            )
        qualibot = [python, "-m", "bot", "serve", "--port", str(bot_port)]
        with server(qualibot, env):
            results["qualibot serve (SQLite)"] = asyncio.run(
                measure(f"http://127.0.0.1:{bot_port}", args, "bot")
            )
    print(
        f"\nclosed loop, {args.concurrency} prospects in flight, "
        f"{args.repeats} x {args.seconds:.0f} s (median rate):"
    )
    for name, (rate, latencies, _) in results.items():
        print("  " + report(name, rate, latencies))
    print(f"open loop at {args.rate:,.0f} msg/s for {args.seconds:.0f} s:")
    for name, (_, _, fixed) in results.items():
        print("  " + report(name, len(fixed) / args.seconds, fixed))
    bare, bot = results["bare aiohttp handler"][0], results["qualibot serve (SQLite)"][0]
    print(f"ratio qualibot / bare: {bot / bare:.2f}")


if __name__ == "__main__":
    main()
