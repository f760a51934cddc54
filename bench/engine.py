"""Engine speed: turns per second and microseconds per turn of the pure engine on the bundled flow.

Run: .venv/bin/python bench/engine.py [--conversations 2000] [--repeats 5]
"""

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

from dialogs import Channel, InboundMessage, load_flow, new_state, step
from dialogs.extract import extract_all

SCRIPT: list[tuple[str, str | None]] = [
    ("Halo kak, mau tanya dong", None),
    ("", "yes"),
    ("Budi Santoso", None),
    ("PT Maju Jaya", None),
    ("saya owner, saya yang memutuskan", None),
    ("sekitar 120 orang", None),
    ("butuh banget, tim sales kewalahan follow up leads", None),
    ("budget sekitar 100jt per bulan", None),
    ("bulan depan", None),
    ("", "phone"),
    ("0812-3456-7890", None),
]
START = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)


def run(conversations: int) -> tuple[int, float]:
    """Play the script `conversations` times; (turns, seconds)."""
    flow = load_flow()
    turns = 0
    started = time.perf_counter()
    for n in range(conversations):
        state = new_state(flow)
        now = START
        for i, (text, choice) in enumerate(SCRIPT):
            now += timedelta(seconds=30)
            message = InboundMessage(
                channel=Channel.WEB,
                channel_user_id=str(n),
                message_id=f"{n}-{i}",
                sent_at=now,
                text=text,
                choice_id=choice,
            )
            state = step(state, flow, message, now).state
            turns += 1
    return turns, time.perf_counter() - started


def extraction_only(repeats: int) -> float:
    """Median µs for extract_all alone over the script's texts."""
    texts = [text for text, _ in SCRIPT if text]
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(200):
            for text in texts:
                extract_all(text, now=START)
        samples.append((time.perf_counter() - started) / (200 * len(texts)) * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    run(50)  # warm up: imports, regex compilation, rapidfuzz tables
    rates, costs = [], []
    for r in range(args.repeats):
        turns, seconds = run(args.conversations)
        rates.append(turns / seconds)
        costs.append(seconds / turns * 1e6)
        print(f"  run {r + 1}/{args.repeats}: {turns / seconds:,.0f} turns/s", flush=True)
    print(
        f"engine: {statistics.median(rates):,.0f} turns/s median "
        f"[{min(rates):,.0f}-{max(rates):,.0f}], {statistics.median(costs):.0f} µs/turn "
        f"({args.conversations} conversations x {len(SCRIPT)} turns, {args.repeats} runs)"
    )
    print(f"extract_all alone: {extraction_only(args.repeats):.0f} µs/message (median)")


if __name__ == "__main__":
    main()
