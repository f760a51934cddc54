"""Benchmark: µs per WhatsApp webhook verified and parsed (signature + models + events).

Run: .venv/bin/python bench/whatsapp_parse.py [--rounds N]. Prints the median of N rounds for
Meta's 985-byte text-message example, a 1000-status batch, and the signature check alone.
"""

import argparse
import hashlib
import hmac
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import orjson

from bot.channels.whatsapp import parse_envelope, to_events, verify_signature

PAYLOAD = Path(__file__).parents[1] / "tests" / "payloads" / "whatsapp" / "text_message.json"
SECRET = "test_app_secret"


def _sign(raw: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()


def _batch_of_statuses(n: int) -> bytes:
    statuses = [
        {
            "id": f"wamid.B{i}=",
            "status": "delivered",
            "timestamp": "1760000000",
            "recipient_id": "62",
        }
        for i in range(n)
    ]
    value = {"metadata": {"phone_number_id": "1"}, "statuses": statuses}
    return orjson.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": [{"field": "messages", "value": value}]}],
        }
    )


def median_us(work: Callable[[], object], *, rounds: int, per_round: int) -> float:
    """Median over `rounds` of the mean µs per call within a round of `per_round` calls."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter_ns()
        for _ in range(per_round):
            work()
        samples.append((time.perf_counter_ns() - started) / per_round / 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()

    raw = PAYLOAD.read_bytes()
    header = _sign(raw)
    batch = _batch_of_statuses(1000)
    batch_header = _sign(batch)

    def one() -> object:
        verify_signature(raw, header, SECRET)
        return to_events(parse_envelope(raw))

    def thousand() -> object:
        verify_signature(batch, batch_header, SECRET)
        return to_events(parse_envelope(batch))

    single = median_us(one, rounds=args.rounds, per_round=2000)
    signature = median_us(
        lambda: verify_signature(raw, header, SECRET), rounds=args.rounds, per_round=2000
    )
    bulk = median_us(thousand, rounds=max(3, args.rounds // 5), per_round=5)
    print(f"whatsapp webhook, {len(raw)} B text message: {single:.1f} µs verify+parse+events")
    print(f"  of which signature check: {signature:.1f} µs")
    print(f"whatsapp webhook, 1000 statuses ({len(batch) // 1024} KB): {bulk / 1000:.0f} ms")


if __name__ == "__main__":
    main()
