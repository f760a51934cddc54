"""Extractor accuracy per slot on the utterance corpus, and extract_all's time per message.

Accuracy for a key is the share of corpus entries that check that key (an expected value or
an `absent` guard) whose value matched exactly, as tests/unit/dialogs/test_extract_corpus.py
defines it. Entries marked `xfail` in the corpus count as misses here.

Run: .venv/bin/python bench/corpus_accuracy.py [--repeats 200]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dialogs.extract import ChoiceCandidate, extract_all, match_choice
from tests.unit.dialogs.test_extract_corpus import KEYS, Utterance, load_corpus, matches

CHOICES = (
    ChoiceCandidate("sales", ("Otomatisasi penjualan", "Sales automation", "jualan")),
    ChoiceCandidate("support", ("Layanan pelanggan", "Customer service", "CS", "komplain")),
    ChoiceCandidate("marketing", ("Pemasaran", "Marketing", "broadcast", "promosi")),
    ChoiceCandidate("hr", ("SDM & absensi", "HR & attendance", "payroll")),
    ChoiceCandidate("finance", ("Keuangan", "Finance", "akuntansi", "invoice")),
    ChoiceCandidate("other", ("Lainnya", "Other", "yang lain")),
)
CHOICE_REPLIES = ("2", "customer servis", "yang marketing aja", "payrol", "sales_automation", "x")


def accuracy(corpus: list[Utterance]) -> list[tuple[str, int, int]]:
    """(key, matched, checked) for every key of the corpus."""
    rows = []
    for key in KEYS:
        checked = [u for u in corpus if key in u.checked]
        matched = sum(1 for u in checked if matches(u, u.run(), key))
        rows.append((key, matched, len(checked)))
    return rows


def time_per_message(corpus: list[Utterance], repeats: int) -> list[float]:
    """Mean microseconds of extract_all for each message over `repeats` runs."""
    times = []
    for u in corpus:
        u.run()  # warm the caches (regex, choice index) before timing
        start = time.perf_counter_ns()
        for _ in range(repeats):
            extract_all(u.text, now=u.now, expecting=u.expecting)
        times.append((time.perf_counter_ns() - start) / repeats / 1000)
    return times


def time_choice(repeats: int) -> float:
    """Mean microseconds of match_choice over six options, averaged over typical replies."""
    for reply in CHOICE_REPLIES:
        match_choice(reply, CHOICES)
    start = time.perf_counter_ns()
    for _ in range(repeats):
        for reply in CHOICE_REPLIES:
            match_choice(reply, CHOICES)
    return (time.perf_counter_ns() - start) / repeats / len(CHOICE_REPLIES) / 1000


def main() -> None:
    """Print the accuracy table and the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    corpus = load_corpus()

    rows = accuracy(corpus)
    print(f"corpus: {len(corpus)} utterances\n")
    print(f"{'slot':<10} {'matched':>8} {'checked':>8} {'accuracy':>9}")
    for key, matched, checked in rows:
        share = matched / checked if checked else 0.0
        print(f"{key:<10} {matched:>8} {checked:>8} {share:>9.1%}")
    total_matched = sum(r[1] for r in rows)
    total_checked = sum(r[2] for r in rows)
    print(
        f"{'all':<10} {total_matched:>8} {total_checked:>8} {total_matched / total_checked:>9.1%}"
    )

    times = sorted(time_per_message(corpus, args.repeats))
    p90 = times[int(len(times) * 0.9)]
    print(
        f"\nextract_all per message: median {statistics.median(times):.0f} µs, "
        f"p90 {p90:.0f} µs, max {times[-1]:.0f} µs"
    )
    print(f"match_choice, 6 options: {time_choice(args.repeats * 10):.1f} µs per reply")


if __name__ == "__main__":
    main()
