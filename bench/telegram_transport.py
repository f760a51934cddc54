"""CPU per Bot.send_message: our AiohttpRequest vs PTB's default HTTPXRequest, same fake server.

FakeTelegram runs on its own event loop in a background thread; the client runs in the main
thread and is measured with `time.thread_time()`, so the server's CPU is not counted. Both
transports sit under the same PTB `Bot`, so the difference is the transport alone. Rounds
alternate between the two to spread machine noise evenly.

Run: .venv/bin/python bench/telegram_transport.py [--calls 2000] [--rounds 3]
"""

import argparse
import asyncio
import gc
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from telegram import Bot
from telegram.request import BaseRequest, HTTPXRequest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.channels.telegram import TelegramSender, render
from bot.channels.telegram_transport import AiohttpRequest
from dialogs.messages import Choice, OutboundMessage
from tests.fakes.telegram_api import FakeTelegram

CHAT = 1111111
MESSAGE = OutboundMessage(
    "Berapa anggaran Anda untuk proyek ini?",
    (
        Choice("under_50m", "< 50 jt"),
        Choice("50_200m", "50-200 jt"),
        Choice("over_200m", "> 200 jt"),
    ),
)


def serve_in_thread(fake: FakeTelegram) -> tuple[str, Callable[[], None]]:
    """Start the fake on its own loop in a daemon thread; return (api_url, stop)."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    url: list[str] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        url.append(loop.run_until_complete(fake.start()))
        ready.set()
        loop.run_forever()
        loop.run_until_complete(fake.close())
        loop.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait()

    def stop() -> None:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()

    return url[0], stop


async def measure(
    fake: FakeTelegram, send: Callable[[], Awaitable[object]], calls: int
) -> tuple[float, float]:
    """(median CPU µs, median wall µs) per call after a warm-up."""
    # The fake records every call; a growing heap would make later runs pay for more
    # garbage-collector work (GC runs in whichever thread allocates), so start each run equal.
    fake.calls.clear()
    fake.messages.clear()
    gc.collect()
    for _ in range(200):
        await send()
    cpu: list[float] = []
    wall: list[float] = []
    for _ in range(calls):
        c0, w0 = time.thread_time(), time.perf_counter()
        await send()
        cpu.append(time.thread_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu) * 1e6, statistics.median(wall) * 1e6


async def bench(fake: FakeTelegram, api_url: str, calls: int, rounds: int) -> None:
    token = fake.token
    [part] = render(MESSAGE)
    results: dict[str, list[tuple[float, float]]] = {"aiohttp": [], "httpx": [], "raw": []}
    async with aiohttp.ClientSession() as session:
        for _ in range(rounds):
            for name in ("aiohttp", "httpx"):
                request: BaseRequest = (
                    AiohttpRequest(session) if name == "aiohttp" else HTTPXRequest()
                )
                bot = Bot(token, base_url=api_url, request=request)
                await bot.initialize()

                async def send(bot: Bot = bot) -> object:
                    return await bot.send_message(CHAT, part.text, reply_markup=part.reply_markup)

                results[name].append(await measure(fake, send, calls))
                await bot.shutdown()
            # The floor: one bare aiohttp POST of the same form body, no PTB at all.
            body = {"chat_id": str(CHAT), "text": part.text}
            url = f"{api_url}{token}/sendMessage"

            async def raw(url: str = url, body: dict[str, str] = body) -> object:
                async with session.post(url, data=body) as response:
                    return await response.read()

            results["raw"].append(await measure(fake, raw, calls))
        sender = TelegramSender.create(token, session, api_url=api_url)
        await sender.start()
        sender_cpu, _ = await measure(fake, lambda: sender.send(str(CHAT), MESSAGE), calls)
        await sender.close()

    def med(name: str, i: int) -> float:
        return statistics.median(r[i] for r in results[name])

    print(f"Bot.send_message with a 3-button keyboard, {calls} calls x {rounds} rounds")
    print(f"{'transport':<28}{'CPU µs/call':>14}{'wall µs/call':>14}")
    print(f"{'AiohttpRequest (ours)':<28}{med('aiohttp', 0):>14.0f}{med('aiohttp', 1):>14.0f}")
    print(f"{'HTTPXRequest (PTB default)':<28}{med('httpx', 0):>14.0f}{med('httpx', 1):>14.0f}")
    print(f"{'bare aiohttp POST (floor)':<28}{med('raw', 0):>14.0f}{med('raw', 1):>14.0f}")
    print(f"{'TelegramSender.send (ours)':<28}{sender_cpu:>14.0f}{'':>14}")
    saved = med("httpx", 0) - med("aiohttp", 0)
    print(f"CPU saved per call: {saved:.0f} µs ({med('httpx', 0) / med('aiohttp', 0):.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    fake = FakeTelegram()
    api_url, stop = serve_in_thread(fake)
    try:
        asyncio.run(bench(fake, api_url, args.calls, args.rounds))
    finally:
        stop()


if __name__ == "__main__":
    main()
