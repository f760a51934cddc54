"""extract_all speed per message over the utterance corpus, optionally against a baseline copy.

Each corpus text is run `--repeats` times in a row and its mean is one sample; a round visits
every text once. The per-message time is the fastest round (the machine is shared: the minimum
is the least disturbed), and the table shows the median and p90 over the messages.

With `--baseline DIR` (a copy of an older dialogs/extract, e.g. made with
`git archive HEAD~1 dialogs/extract | tar -x -C /tmp/before`, then DIR=/tmp/before/dialogs/extract)
both versions run in this process, alternating message by message so that both see the
same load, and every result is compared: the two must extract the same values.

Run: .venv/bin/python bench/extract_speed.py [--baseline DIR] [--repeats 50] [--rounds 5]
"""

import argparse
import dataclasses
import importlib.util
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dialogs
import dialogs.extract
from tests.unit.dialogs.test_extract_corpus import Utterance, load_corpus

Extract = Callable[..., Any]
_PACKAGE = "dialogs.extract"


def _ours(module: str) -> bool:
    return module == _PACKAGE or module.startswith(_PACKAGE + ".")


def load_baseline(directory: Path) -> Extract:
    """extract_all of the package copy in `directory`, loaded beside the current one.

    The copy imports itself as `dialogs.extract.*`, so the current modules step aside while
    it loads and come back afterwards; the copy keeps references to its own modules.
    """
    current = {k: v for k, v in sys.modules.items() if _ours(k)}
    for name in current:
        del sys.modules[name]
    try:
        spec = importlib.util.spec_from_file_location(
            _PACKAGE, directory / "__init__.py", submodule_search_locations=[str(directory)]
        )
        if spec is None or spec.loader is None:
            raise SystemExit(f"no package in {directory}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[_PACKAGE] = module
        spec.loader.exec_module(module)
        extract: Extract = module.extract_all
    finally:
        for name in [k for k in sys.modules if _ours(k)]:
            del sys.modules[name]
        sys.modules.update(current)
        dialogs.extract = current[_PACKAGE]
    return extract


def one(extract: Extract, u: Utterance, repeats: int) -> float:
    """Mean µs of `repeats` calls on one message."""
    text, now, expecting = u.text, u.now, u.expecting
    start = time.perf_counter_ns()
    for _ in range(repeats):
        extract(text, now=now, expecting=expecting)
    return (time.perf_counter_ns() - start) / repeats / 1000


def measure(
    versions: dict[str, Extract], corpus: list[Utterance], repeats: int, rounds: int
) -> dict[str, list[float]]:
    """Per version, the fastest round's µs for every message (interleaved by message)."""
    best = {name: [float("inf")] * len(corpus) for name in versions}
    for _ in range(rounds):
        for i, u in enumerate(corpus):
            for name, extract in versions.items():
                best[name][i] = min(best[name][i], one(extract, u, repeats))
    return best


def _values(extraction: Any) -> tuple[Any, ...]:
    # field by field: the two versions' Extraction classes differ, the slot models do not
    return tuple(getattr(extraction, f.name) for f in dataclasses.fields(extraction))


def differences(old: Extract, new: Extract, corpus: list[Utterance]) -> list[str]:
    """Corpus texts (under every `expecting`) whose extraction differs between versions."""
    kinds = (None, "money", "timeline", "role", "need", "yesno", "number", "text")
    diffs = []
    for u in corpus:
        for expecting in {u.expecting, *kinds}:
            a = old(u.text, now=u.now, expecting=expecting)
            b = new(u.text, now=u.now, expecting=expecting)
            if _values(a) != _values(b):
                diffs.append(f"{u.id} expecting={expecting}: {a!r} != {b!r}")
    return diffs


def _row(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[int(len(ordered) * 0.9)]
    return (
        f"{name:<10} {statistics.median(ordered):>9.1f} {p90:>9.1f} "
        f"{ordered[-1]:>9.1f} {sum(ordered) / len(ordered):>9.1f}"
    )


def main() -> None:
    """Print µs per message (median, p90, max, mean) for each version."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="a copy of an older dialogs/extract")
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    corpus = load_corpus()

    versions: dict[str, Extract] = {}
    if args.baseline is not None:
        versions["baseline"] = load_baseline(args.baseline.resolve())
    versions["current"] = dialogs.extract.extract_all
    for extract in versions.values():
        for u in corpus:
            extract(u.text, now=u.now, expecting=u.expecting)  # warm up

    if "baseline" in versions:
        diffs = differences(versions["baseline"], versions["current"], corpus)
        print(f"results: {'identical' if not diffs else f'{len(diffs)} DIFFERENCES'}")
        for line in diffs[:20]:
            print("  " + line)

    times = measure(versions, corpus, args.repeats, args.rounds)
    print(f"\n{len(corpus)} messages, {args.repeats} repeats, best of {args.rounds} rounds")
    print(f"{'µs/msg':<10} {'median':>9} {'p90':>9} {'max':>9} {'mean':>9}")
    for name, per_message in times.items():
        print(_row(name, per_message))
    if "baseline" in times:
        ratio = statistics.median(times["baseline"]) / statistics.median(times["current"])
        print(f"speed-up (median): {ratio:.2f}x")


if __name__ == "__main__":
    main()
