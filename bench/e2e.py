"""End-to-end throughput: simulated prospects over HTTP against `qualibot serve` on SQLite,
next to a bare aiohttp handler measured in the same run (the ratio is the figure).

Run: .venv/bin/python bench/e2e.py [--seconds 8] [--concurrency 64] [--rate 1000]
     [--mode all|webchat|telegram]
The servers run pinned to CPU 0, this load generator to CPU 1 (when the machine has two).
"server CPU" is what the server process (all its threads) used per message: on this VM a
request that finds the process idle costs several hundred µs more than one in a busy stream
(the bare handler too), so compare it between servers at the same load, not across loads.

The Telegram run posts Update JSON to `/webhooks/telegram` (secret header and all) and the
app replies to FakeTelegram (tests/fakes), which runs in this process on CPU 1. Two latencies:
"ack" is the webhook's 200 (what Telegram's server waits for), "reply" is until the turn's
last reply reached the fake Bot API (what the prospect waits for). A closed-loop prospect
sends its next message once it has seen the replies. Client-side flood throttling is off:
the fake has no flood limits, and 1 message/s per chat would be all we measured.
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
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

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
OPEN_LOOP_PROSPECTS = 100
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


async def wait_ready(url: str, attempts: int = 200) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(attempts):
            try:
                async with session.get(url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise SystemExit(f"server at {url} did not start; run `qualibot serve` by hand to see why")


async def post_message(http: aiohttp.ClientSession, url: str, session: str, step: int) -> None:
    """POST the script's `step` as `session` to the web chat API; a non-200 ends the bench."""
    text, choice = SCRIPT[step]
    body = orjson.dumps(
        {"session": session, "message_id": f"{session}-{step}", "text": text, "choice": choice}
    )
    async with http.post(
        url + "/api/chat", data=body, headers={"Content-Type": "application/json"}
    ) as response:
        await response.read()
        if response.status != 200:
            raise SystemExit(f"{url} answered {response.status}")


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
                for i in range(len(SCRIPT)):
                    started = time.perf_counter()
                    await post_message(http, url, session, i)
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
            started = time.perf_counter()
            await post_message(http, url, session, i)
            latencies.append(time.perf_counter() - started)

        total = int(seconds * rate)
        begin = time.perf_counter()
        block = OPEN_LOOP_PROSPECTS * len(SCRIPT)
        for n in range(total):
            # OPEN_LOOP_PROSPECTS prospects take turns, so one prospect's next message comes
            # that many sends later (100 ms at 1,000/s), as a person answers after reading the
            # reply. (Sending a prospect's 11 messages back to back, 1 ms apart, measured 11
            # commits chained by the per-lead lock rather than one message's latency.)
            k = n % block
            session = f"{tag}{n // block * OPEN_LOOP_PROSPECTS + k % OPEN_LOOP_PROSPECTS}"
            i = k // OPEN_LOOP_PROSPECTS
            delay = begin + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            pending.append(asyncio.create_task(send(session, i)))
        await asyncio.gather(*pending)
    return latencies


def report(name: str, rate: float, latencies: list[float], cpu: float | None = None) -> str:
    line = (
        f"{name:<28} {rate:>9,.0f} msg/s   p50 {percentile(latencies, 0.5) * 1000:6.2f} ms"
        f"   p99 {percentile(latencies, 0.99) * 1000:7.2f} ms"
    )
    return line if cpu is None else f"{line}   server CPU {cpu * 1e6:5.0f} µs/msg"


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process (all its threads) has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Measured:
    rate: float  # closed loop, median of the repeats
    latencies: list[float]
    cpu: float  # server CPU seconds per message, closed loop
    fixed: list[float]  # open-loop latencies
    fixed_cpu: float


async def measure(url: str, args: argparse.Namespace, tag: str, pid: int) -> Measured:
    await wait_ready(url)
    await closed_loop(url, 1.0, args.concurrency, tag + "w")  # warm up
    rates, all_latencies = [], []
    before = cpu_seconds(pid)
    for r in range(args.repeats):
        rate, latencies = await closed_loop(url, args.seconds, args.concurrency, f"{tag}{r}-")
        rates.append(rate)
        all_latencies += latencies
        print(f"  {tag} run {r + 1}: {rate:,.0f} msg/s", flush=True)
    cpu = (cpu_seconds(pid) - before) / len(all_latencies)
    before = cpu_seconds(pid)
    fixed = await open_loop(url, args.seconds, args.rate, tag + "o")
    fixed_cpu = (cpu_seconds(pid) - before) / len(fixed)
    return Measured(statistics.median(rates), all_latencies, cpu, fixed, fixed_cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rate", type=float, default=1000.0, help="open-loop messages/s")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mode", choices=["all", "webchat", "telegram"], default="all")
    args = parser.parse_args()
    pin(1)
    python = sys.executable
    results: dict[str, Measured] = {}
    telegram: TelegramResult | None = None
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "QUALIBOT_DATABASE_URL": f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}",
            "PTB_TIMEDELTA": "1",
        }
        bare_port, bot_port = free_port(), free_port()
        with server([python, "-c", BARE, str(bare_port)], env) as process:
            results["bare aiohttp handler"] = asyncio.run(
                measure(f"http://127.0.0.1:{bare_port}", args, "bare", process.pid)
            )
        if args.mode in {"all", "webchat"}:
            qualibot = [python, "-m", "bot", "serve", "--port", str(bot_port)]
            with server(qualibot, env) as process:
                results["qualibot serve (SQLite)"] = asyncio.run(
                    measure(f"http://127.0.0.1:{bot_port}", args, "bot", process.pid)
                )
        if args.mode in {"all", "telegram"}:
            telegram_env = {**env, "QUALIBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/tg.db"}
            sys.path.insert(0, str(ROOT))  # the fake Bot API lives with the tests
            telegram = asyncio.run(measure_telegram(args, telegram_env, free_port()))
    print(
        f"\nclosed loop, {args.concurrency} prospects in flight, "
        f"{args.repeats} x {args.seconds:.0f} s (median rate):"
    )
    for name, m in results.items():
        print("  " + report(name, m.rate, m.latencies, m.cpu))
    if telegram is not None:
        print("  " + report("telegram webhook (ack)", telegram.rate, telegram.acks))
        print("  " + report("telegram webhook (reply)", telegram.rate, telegram.replies))
    print(f"open loop at {args.rate:,.0f} msg/s for {args.seconds:.0f} s:")
    for name, m in results.items():
        print("  " + report(name, len(m.fixed) / args.seconds, m.fixed, m.fixed_cpu))
    if telegram is not None:
        rate = len(telegram.open_acks) / args.seconds
        print("  " + report("telegram webhook (ack)", rate, telegram.open_acks))
        print(f"  telegram replies that reached the fake Bot API: {telegram.delivered}")
    bare = results["bare aiohttp handler"].rate
    for name, label in (("qualibot serve (SQLite)", "web chat"),):
        if name in results:
            print(f"ratio {label} / bare: {results[name].rate / bare:.2f}")
    if telegram is not None:
        print(f"ratio telegram / bare: {telegram.rate / bare:.2f}")


# --- Telegram ---------------------------------------------------------------------------------

TELEGRAM_SERVER = """
import os, sys
sys.stderr = open(os.devnull, "w")  # one INFO line per update, formatted as in production
from aiohttp import web
from bot.app import build_app
from bot.config import Settings
from bot.logs import setup_logging
setup_logging()
app = build_app(Settings())
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
"""
SECRET = "bench-secret"
# The Telegram conversation: the profile name fills the name slot, so no name step. Buttons
# are "cb:<option id>"; the open loop types them instead (it does not wait for keyboards).
TELEGRAM_SCRIPT = (
    "/start bench",
    "ya",
    "PT Maju Jaya",
    "saya owner, saya yang memutuskan",
    "cb:s51_200",
    "butuh banget, tim sales kewalahan follow up leads",
    "sekitar 100jt",
    "bulan depan",
    "cb:phone",
    "0812-3456-7890",
)
TYPED = {"cb:s51_200": "51-200", "cb:phone": "lewat whatsapp saja"}
REPLY_TIMEOUT = 30.0
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class TelegramResult:
    rate: float
    acks: list[float]
    replies: list[float]
    open_acks: list[float]
    delivered: str


class ReplyWatch:
    """Counts replies per chat as they reach the fake and wakes whoever waits for them."""

    def __init__(self) -> None:
        self.count: dict[int, int] = defaultdict(int)
        self.keyboard: dict[int, dict[str, Any]] = {}
        self._waiting: dict[int, tuple[int, asyncio.Future[None]]] = {}

    def on_call(self, method: str, params: dict[str, Any], result: Any) -> None:
        if method != "sendmessage":
            return
        chat = int(params["chat_id"])
        self.count[chat] += 1
        if "reply_markup" in result:
            self.keyboard[chat] = result
        waiting = self._waiting.get(chat)
        if waiting is not None and self.count[chat] >= waiting[0] and not waiting[1].done():
            waiting[1].set_result(None)

    async def until(self, chat: int, count: int) -> None:
        if self.count[chat] >= count:
            return
        future = asyncio.get_running_loop().create_future()
        self._waiting[chat] = (count, future)
        try:
            async with asyncio.timeout(REPLY_TIMEOUT):
                await future
        finally:
            del self._waiting[chat]


def callback_update(chat: int, data: str, **fields: Any) -> dict[str, Any]:
    from tests.fakes.telegram_api import callback_update as build

    return build(chat, data, **fields)


def text_update(chat: int, text: str, **fields: Any) -> dict[str, Any]:
    from tests.fakes.telegram_api import text_update as build

    return build(chat, text, **fields)


class TelegramLoad:
    """Prospects as Telegram's server would post them to the webhook."""

    def __init__(self, url: str, fake: Any, watch: ReplyWatch) -> None:
        self.url = url + "/webhooks/telegram"
        self.fake = fake
        self.watch = watch
        self.update_ids = count(1)
        self.headers = {
            "Content-Type": "application/json",
            "X-Telegram-Bot-Api-Secret-Token": SECRET,
        }

    def update(self, chat: int, step: str, message_id: int) -> bytes:
        if step.startswith("cb:"):
            update = callback_update(
                chat,
                step[3:],
                question=self.watch.keyboard.get(chat),
                query_id=f"{chat}-{message_id}",
                update_id=next(self.update_ids),
            )
        else:
            update = text_update(
                chat,
                step,
                message_id=message_id,
                date=int(time.time()),
                update_id=next(self.update_ids),
            )
        return orjson.dumps(update)

    async def post(self, http: aiohttp.ClientSession, body: bytes) -> float:
        started = time.perf_counter()
        async with http.post(self.url, data=body, headers=self.headers) as response:
            await response.read()
            if response.status != 200:
                raise SystemExit(f"webhook answered {response.status}")
        return time.perf_counter() - started


async def calibrate(load: TelegramLoad, http: aiohttp.ClientSession, chat: int) -> list[int]:
    """Replies per step of the script (the engine is deterministic): one prospect, slowly."""
    expected = []
    for i, step in enumerate(TELEGRAM_SCRIPT):
        before = load.watch.count[chat]
        await load.post(http, load.update(chat, step, i + 1))
        await load.watch.until(chat, before + 1)
        await asyncio.sleep(0.2)  # the turn's other replies
        expected.append(load.watch.count[chat] - before)
    return expected


async def telegram_closed_loop(
    load: TelegramLoad, seconds: float, concurrency: int, chats: Iterator[int], per_step: list[int]
) -> tuple[float, list[float], list[float]]:
    acks: list[float] = []
    replies: list[float] = []
    deadline = time.perf_counter() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:

        async def prospect() -> None:
            while time.perf_counter() < deadline:
                chat = next(chats)
                seen = 0
                for i, step in enumerate(TELEGRAM_SCRIPT):
                    started = time.perf_counter()
                    acks.append(await load.post(http, load.update(chat, step, i + 1)))
                    seen += per_step[i]
                    await load.watch.until(chat, seen)
                    replies.append(time.perf_counter() - started)
                    if time.perf_counter() >= deadline:
                        return

        started = time.perf_counter()
        await asyncio.gather(*(prospect() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return len(acks) / elapsed, acks, replies


async def telegram_open_loop(
    load: TelegramLoad, seconds: float, rate: float, chats: Iterator[int]
) -> list[float]:
    acks: list[float] = []
    steps = [TYPED.get(step, step) for step in TELEGRAM_SCRIPT]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        pending: list[asyncio.Task[None]] = []

        async def send(body: bytes) -> None:
            acks.append(await load.post(http, body))

        total = int(seconds * rate)
        begin = time.perf_counter()
        chat = 0
        for n in range(total):
            i = n % len(steps)
            if i == 0:
                chat = next(chats)
            delay = begin + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            pending.append(asyncio.create_task(send(load.update(chat, steps[i], i + 1))))
        await asyncio.gather(*pending)
    return acks


async def measure_telegram(
    args: argparse.Namespace, env: dict[str, str], port: int
) -> TelegramResult:
    from tests.fakes.telegram_api import FakeTelegram

    watch = ReplyWatch()
    async with FakeTelegram(on_call=watch.on_call) as fake:
        env = {
            **env,
            "QUALIBOT_TELEGRAM__TOKEN": fake.token,
            "QUALIBOT_TELEGRAM__API_URL": fake.api_url,
            "QUALIBOT_TELEGRAM__WEBHOOK_SECRET": SECRET,
            # Telegram's flood limits (1 message/s per chat) would be all this measures
            "QUALIBOT_TELEGRAM__LIMITS__PER_SECOND": "0",
            "QUALIBOT_TELEGRAM__LIMITS__PER_CHAT_PER_SECOND": "0",
        }
        url = f"http://127.0.0.1:{port}"
        chats = count(10_000_000)
        with server([sys.executable, "-c", TELEGRAM_SERVER, str(port)], env):
            await wait_ready(url)
            load = TelegramLoad(url, fake, watch)
            async with aiohttp.ClientSession() as http:
                per_step = await calibrate(load, http, next(chats))
            await telegram_closed_loop(load, 1.0, args.concurrency, chats, per_step)  # warm up
            rates, acks, replies = [], [], []
            for r in range(args.repeats):
                fake.calls.clear()  # the fake keeps every call; keep its memory flat
                rate, run_acks, run_replies = await telegram_closed_loop(
                    load, args.seconds, args.concurrency, chats, per_step
                )
                rates.append(rate)
                acks += run_acks
                replies += run_replies
                print(f"  telegram run {r + 1}: {rate:,.0f} msg/s", flush=True)
            before = sum(watch.count.values())
            open_acks = await telegram_open_loop(load, args.seconds, args.rate, chats)
            await asyncio.sleep(2.0)  # let the last replies arrive
            delivered = f"{sum(watch.count.values()) - before:,} for {len(open_acks):,} updates"
    return TelegramResult(statistics.median(rates), acks, replies, open_acks, delivered)


if __name__ == "__main__":
    main()
