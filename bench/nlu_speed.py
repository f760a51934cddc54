"""Reply understanding's cost per message: the classifiers together, and the whole reading.

On the frozen held-out replies (tests/heldout), each timed alone many times:

* `classifiers`: every family at once (dialogs.extract.classifier: features, one matrix
  product), the part the issue budgets at 0.3 ms median;
* `normalize`: the lexicon, elongation, clitics, numbers in words;
* `extract_all`: grammars, classifiers and names together, as the engine calls it.

Also the one-off cost of loading the model (import numpy, read the file) and the memory it
takes. CPU time (process_time), not wall time: this is a shared 2-core machine.

Run: .venv/bin/python bench/nlu_speed.py [--repeats 50]
"""

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args()

    import dialogs  # noqa: F401  # the package itself, to leave it out of the model's cost

    before = _rss_mb()
    started = time.process_time()
    from dialogs.extract.classifier import load_classifiers

    classifiers = load_classifiers()
    loaded = time.process_time() - started
    print(f"model load (read and unpack the file): {loaded * 1000:.0f} ms CPU, "
          f"+{_rss_mb() - before:.0f} MB peak RSS")  # fmt: skip

    from bot.nlu_eval import EXPECTING, load_replies
    from dialogs.extract import extract_all
    from dialogs.extract.text import normalize

    root = Path(__file__).resolve().parents[1] / "tests" / "heldout"
    replies = load_replies(sorted(root.glob("*.yaml")))
    norms = [normalize(r.text) for r in replies]

    def per_message(work: list[object], run: object) -> list[float]:
        out = []
        for item in work:
            run(item)  # type: ignore[operator]  # warm caches
            start = time.process_time()
            for _ in range(args.repeats):
                run(item)  # type: ignore[operator]
            out.append((time.process_time() - start) / args.repeats * 1e6)
        return out

    rows = [
        ("classifiers (all families)", per_message(list(norms), classifiers.read)),
        ("normalize", per_message([r.text for r in replies], normalize)),
        (
            "extract_all (everything)",
            per_message(
                list(replies),
                lambda r: extract_all(r.text, now=r.now, expecting=EXPECTING.get(r.asked)),
            ),
        ),
    ]
    print(f"{len(replies)} held-out replies, {args.repeats} runs each; CPU µs per message")
    print(f"{'':<28} {'median':>8} {'p90':>8} {'max':>8}")
    for name, times in rows:
        ordered = sorted(times)
        p90 = ordered[int(len(ordered) * 0.9)]
        print(f"{name:<28} {statistics.median(times):>8.0f} {p90:>8.0f} {ordered[-1]:>8.0f}")


if __name__ == "__main__":
    main()
