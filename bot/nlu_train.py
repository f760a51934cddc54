"""`qualibot nlu train`: fit the reply classifiers from corpus/ and write the shipped model.

Deterministic: the same corpus gives the same file, byte for byte (sorted vocabulary, fixed
folds, lbfgs). Every family is one logistic regression over the TF-IDF of
dialogs/extract/features.py, with one shared vocabulary:

* single-label families (role, process, need, budget status, timeline status) are
  multinomial, with a "none" class for replies that say nothing about them;
* intents are independent yes/no models, because a reply may carry several.

Out-of-fold predictions (5 folds) then choose, per family, a temperature that calibrates the
probabilities (the one with the least log loss), and the thresholds: per intent the one with
the best F1 (for stop and erase the best F1 at a precision of at least 0.97: a false stop ends
a conversation); for the single-label families the smallest top probability that is still
accepted. The cross-validated figures are printed; they measure the corpus, not the world:
the held-out set (`qualibot nlu eval tests/heldout/*.yaml`) does that.
"""

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import yaml

from dialogs.extract.classifier import MODEL_FILE, NONE
from dialogs.extract.features import analyze
from dialogs.extract.text import normalize

ROOT: Final = Path(__file__).resolve().parents[1]
CORPUS: Final = ROOT / "corpus"
MODEL: Final = ROOT / "dialogs" / "extract" / MODEL_FILE
FOLDS: Final = 5
C: Final = 4.0  # inverse regularisation: chosen by cross-validation on the corpus
CAREFUL: Final = {"stop": 0.97, "erase": 0.97, "not_interested": 0.9}  # costly false positives
INTENTS: Final = (
    "stop",
    "erase",
    "human",
    "demo",
    "price",
    "product",
    "not_interested",
    "someone_else",
    "greeting",
    "bot_question",
    "restart",
    "help",
    "language_en",
    "language_id",
)
Array = npt.NDArray[Any]


@dataclass(frozen=True, slots=True)
class Spec:
    """One family: which corpus file, which field, which labels."""

    name: str
    file: str
    field: str
    labels: tuple[str, ...]  # single-label: NONE first
    multilabel: bool = False


SPECS: Final = (
    Spec(
        "role",
        "authority.yaml",
        "role",
        (
            NONE,
            "decision_maker",
            "co_decision_maker",
            "influencer",
            "gatekeeper",
            "researcher",
            "not_a_buyer",
            "unknown",
        ),
    ),
    Spec(
        "process",
        "authority.yaml",
        "process",
        (NONE, "solo", "needs_approval", "committee", "tender", "solo_below_limit"),
    ),
    Spec("need", "need.yaml", "level", (NONE, "high", "medium", "low", "none", "unknown")),
    Spec(
        "budget_status",
        "budget_status.yaml",
        "status",
        (NONE, "unknown_wants_quote", "pending_approval", "refused", "no_budget", "flexible"),
    ),
    Spec(
        "timeline_status",
        "timeline_status.yaml",
        "bucket",
        (NONE, "immediate_<=2w", "no_plan", "unknown"),
    ),
    Spec("intents", "intents.yaml", "intents", INTENTS, multilabel=True),
)


def _label_key(value: object) -> str:
    return NONE if value is None else str(value)


TEMPLATES: Final = "templates.yaml"
# Chat respellings applied at random to generated texts (the normaliser maps them back, so
# the model learns from both the written and the normalised form's neighbours).
_RESPELL: Final[dict[str, tuple[str, ...]]] = {
    "saya": ("sy", "aku", "gue"),
    "yang": ("yg",),
    "sudah": ("udah", "udh", "sdh"),
    "belum": ("blm",),
    "tidak": ("ga", "gak", "nggak", "tdk"),
    "dengan": ("dgn", "sama"),
    "untuk": ("utk", "buat"),
    "banget": ("bgt",),
    "sekarang": ("skrg",),
    "tapi": ("tp",),
    "karena": ("krn",),
    "dari": ("dr",),
    "orang": ("org",),
}


def generated(spec: Spec, corpus: Path) -> list[dict[str, Any]]:
    """The template combinations of `spec`'s family (templates.yaml), deterministic."""
    import random

    path = corpus / TEMPLATES
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text())
    family = spec.file.removesuffix(".yaml")
    templates = data["families"].get(family, [])
    slots: dict[str, list[str]] = data["slots"]
    rng = random.Random(f"{family}:{len(templates)}")
    out: list[dict[str, Any]] = []
    for template in templates:
        seen: set[str] = set()
        for _ in range(int(data.get("samples", 10))):
            text = str(template["text"])
            for slot, values in slots.items():
                while "{" + slot + "}" in text:
                    text = text.replace("{" + slot + "}", str(rng.choice(values)), 1)
            words = [
                rng.choice(_RESPELL[w]) if w in _RESPELL and rng.random() < 0.4 else w
                for w in text.split()
            ]
            text = " ".join(words)
            if rng.random() < 0.5:
                text = text.casefold()
            if text not in seen:
                seen.add(text)
                out.append({**template, "text": text})
    return out


def load_family(spec: Spec, corpus: Path) -> tuple[list[str], list[Any]]:
    """(normalised texts, labels) of one family, hand-written and generated; multilabel
    labels are sets of intents."""
    entries = yaml.safe_load((corpus / spec.file).read_text()) + generated(spec, corpus)
    texts = [normalize(str(entry["text"])) for entry in entries]
    if spec.multilabel:
        return texts, [frozenset(entry.get(spec.field) or ()) for entry in entries]
    return texts, [_label_key(entry.get(spec.field)) for entry in entries]


# Other families' replies say nothing about this family, so they teach its "says nothing"
# class what everything else looks like; except replies whose own labels say something about
# it (a price question is a low need; "disuruh bos" is a researcher), or that name its topic.
_SAYS_NOTHING_ABOUT: Final[dict[str, frozenset[str]]] = {
    # intents that never carry the family's information
    "role": frozenset(INTENTS) - {"someone_else", "not_interested"},
    "process": frozenset(INTENTS) - {"someone_else"},
    "need": frozenset(
        {
            "greeting",
            "stop",
            "erase",
            "restart",
            "help",
            "language_en",
            "language_id",
            "human",
            "bot_question",
        }
    ),
    "budget_status": frozenset(INTENTS) - {"price", "not_interested"},
    "timeline_status": frozenset(INTENTS) - {"demo", "not_interested"},
}
_TOPIC: Final = {"budget_status": "budget", "timeline_status": "timeline"}
# Labels of another family that say nothing about this one: a researcher "comparing vendors"
# or someone not buying tells a need, an owner answering the role question does not.
_OTHER_LABELS_SAY_NOTHING: Final[dict[tuple[str, str], frozenset[str]]] = {
    ("need", "role"): frozenset(
        {"decision_maker", "co_decision_maker", "influencer", "gatekeeper", NONE}
    ),
    ("need", "process"): frozenset({NONE}),
    ("role", "need"): frozenset({"high", "medium", "low", "none", NONE}),
    ("process", "need"): frozenset({"high", "medium", "low", "none", "unknown", NONE}),
}


def negatives(spec: Spec, corpus: Path) -> list[str]:
    """Replies of the other families that say nothing about `spec`'s family."""
    from dialogs.extract.text import mentions

    allowed = _SAYS_NOTHING_ABOUT.get(spec.name)
    if allowed is None:
        return []
    own = {
        s.file for s in SPECS if s.name in (spec.name, "process" if spec.name == "role" else "")
    }
    if spec.name == "process":
        own.add("authority.yaml")
    out: list[str] = []
    for other in SPECS:
        if other.file in own or other.multilabel:
            continue
        texts, labels = load_family(other, corpus)
        keep = _OTHER_LABELS_SAY_NOTHING.get((spec.name, other.name))
        out.extend(
            text
            for text, label in zip(texts, labels, strict=True)
            if keep is None or label in keep
        )
    intents = next(s for s in SPECS if s.multilabel)
    for text, wanted in zip(*load_family(intents, corpus), strict=True):
        if wanted and wanted <= allowed:
            out.append(text)
    topic = _TOPIC.get(spec.name)
    if topic is not None:
        out = [text for text in out if not mentions(text, topic)]
    return sorted(set(out))


def _folds(n: int, seed: int = 0) -> Array:
    order = np.random.default_rng(seed).permutation(n)
    fold = np.empty(n, dtype=np.intp)
    fold[order] = np.arange(n) % FOLDS
    return fold


def _fit_multinomial(x: Any, y: Array, classes: int) -> tuple[Array, Array]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
    model.fit(x, y)
    weights = np.zeros((x.shape[1], classes), dtype=np.float64)
    bias = np.full(classes, -30.0)  # a class absent from the data is never chosen
    for k, label in enumerate(model.classes_):
        if len(model.classes_) == 2:
            sign = 1.0 if k == 1 else -1.0
            weights[:, label] = sign * model.coef_[0] / 2
            bias[label] = sign * model.intercept_[0] / 2
        else:
            weights[:, label] = model.coef_[k]
            bias[label] = model.intercept_[k]
    return weights, bias


def _fit_binary(x: Any, y: Array) -> tuple[Array, float]:
    from sklearn.linear_model import LogisticRegression

    if y.min() == y.max():
        return np.zeros(x.shape[1]), (30.0 if y[0] else -30.0)
    model = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
    model.fit(x, y)
    return model.coef_[0], float(model.intercept_[0])


def _softmax(scores: Array) -> Array:
    shifted = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    result: Array = exp / exp.sum(axis=1, keepdims=True)
    return result


def _temperature(log_loss: Callable[[float], float]) -> float:
    grid = [0.1 + 0.05 * k for k in range(59)]  # 0.1 .. 3.0
    return min(grid, key=log_loss)


@dataclass
class Trained:
    spec: Spec
    weights: Array  # features x labels
    bias: Array
    temperature: float
    thresholds: list[float]
    report: str


def train_single(spec: Spec, x: Any, labels: list[str]) -> Trained:
    names = list(spec.labels)
    y = np.array([names.index(label) for label in labels])
    k = len(names)
    margins = np.zeros((len(y), k))
    fold = _folds(len(y))
    for f in range(FOLDS):
        train, test = fold != f, fold == f
        weights, bias = _fit_multinomial(x[train], y[train], k)
        margins[test] = x[test] @ weights + bias

    def log_loss(t: float) -> float:
        p = _softmax(margins / t)
        return float(-np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))

    temperature = _temperature(log_loss)
    p = _softmax(margins / temperature)
    best, top = p.argmax(axis=1), p.max(axis=1)

    def accuracy(floor: float) -> float:
        chosen = np.where((best != 0) & (top >= floor), best, 0)
        return float(np.mean(chosen == y))

    def balanced(floor: float) -> float:
        # mean recall per class: "says nothing" is one class, however many examples it has
        chosen = np.where((best != 0) & (top >= floor), best, 0)
        return float(np.mean([np.mean(chosen[y == c] == c) for c in np.unique(y)]))

    floor = max((0.0, 0.3, 0.4, 0.5, 0.6), key=lambda t: (balanced(t), -t))
    weights, bias = _fit_multinomial(x, y, k)
    said = y != 0
    report = (
        f"{spec.name:<16} {len(y):>5} examples  cv accuracy {accuracy(floor):.3f}  "
        f"balanced {balanced(floor):.3f}  on labelled {float(np.mean(best[said] == y[said])):.3f}"
        f"  T={temperature:.2f}  floor={floor:.1f}"
    )
    return Trained(spec, weights, bias, temperature, [floor], report)


def train_multilabel(spec: Spec, x: Any, labels: list[frozenset[str]]) -> Trained:
    n, k = len(labels), len(spec.labels)
    y = np.array([[label in wanted for label in spec.labels] for wanted in labels], dtype=bool)
    margins = np.zeros((n, k))
    fold = _folds(n)
    for f in range(FOLDS):
        train, test = fold != f, fold == f
        for j in range(k):
            weights, bias = _fit_binary(x[train], y[train, j])
            margins[test, j] = x[test] @ weights + bias

    def log_loss(t: float) -> float:
        p = 1 / (1 + np.exp(-margins / t))
        return float(-np.mean(np.where(y, np.log(p + 1e-12), np.log(1 - p + 1e-12))))

    temperature = _temperature(log_loss)
    p = 1 / (1 + np.exp(-margins / temperature))
    thresholds: list[float] = []
    lines = []
    for j, label in enumerate(spec.labels):
        floor, f1, precision = _threshold(p[:, j], y[:, j], CAREFUL.get(label, 0.0))
        thresholds.append(floor)
        lines.append(f"    {label:<15} cv F1 {f1:.3f} precision {precision:.3f} at {floor:.2f}")
    weights = np.zeros((x.shape[1], k))
    intercepts = np.zeros(k)
    for j in range(k):
        weights[:, j], intercepts[j] = _fit_binary(x, y[:, j])
    report = f"{spec.name:<16} {n:>5} examples  T={temperature:.1f}\n" + "\n".join(lines)
    return Trained(spec, weights, intercepts, temperature, thresholds, report)


def _threshold(p: Array, y: Array, min_precision: float) -> tuple[float, float, float]:
    best = (0.5, -1.0, 0.0)
    for floor in [0.3 + 0.05 * k for k in range(14)]:
        said = p >= floor
        tp = float(np.sum(said & y))
        precision = tp / max(1.0, float(np.sum(said)))
        recall = tp / max(1.0, float(np.sum(y)))
        f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
        if precision >= min_precision and f1 > best[1]:
            best = (floor, f1, precision)
    if best[1] < 0:  # no floor reaches the precision wanted: the strictest one
        floor = 0.95
        said = p >= floor
        tp = float(np.sum(said & y))
        precision = tp / max(1.0, float(np.sum(said)))
        recall = tp / max(1.0, float(np.sum(y)))
        best = (floor, 2 * precision * recall / (precision + recall) if tp else 0.0, precision)
    return best


def train(corpus: Path, out: Path, *, say: Callable[[str], None] = print) -> list[Trained]:
    """Fit every family and write the model file; the per-family reports."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    started = time.perf_counter()
    families = {spec.name: load_family(spec, corpus) for spec in SPECS}
    every_text = sorted({text for texts, _ in families.values() for text in texts})
    say(f"corpus: {len(every_text)} distinct texts in {len(SPECS)} families")
    vectorizer = TfidfVectorizer(
        analyzer=analyze, sublinear_tf=True, min_df=2, norm="l2", dtype=np.float64
    )
    vectorizer.fit(every_text)
    vocabulary: dict[str, int] = vectorizer.vocabulary_
    features = sorted(vocabulary, key=vocabulary.__getitem__)
    say(f"features: {len(features)}")
    trained: list[Trained] = []
    for spec in SPECS:
        texts, labels = families[spec.name]
        if not spec.multilabel:
            extra = [t for t in negatives(spec, corpus) if t not in set(texts)]
            texts, labels = [*texts, *extra], [*labels, *[NONE] * len(extra)]
        x = vectorizer.transform(texts).tocsr()
        say(f"training {spec.name} ...")
        result = (
            train_multilabel(spec, x, labels) if spec.multilabel else train_single(spec, x, labels)
        )
        say(result.report)
        trained.append(result)
    common = common_words(corpus)
    say(f"common words: {len(common)}")
    _save(out, features, vectorizer.idf_, trained, common)
    say(f"wrote {out} ({out.stat().st_size // 1024} KiB) in {time.perf_counter() - started:.0f} s")
    return trained


COMMON_IN: Final = 8  # replies a word must be in to be a common word ...
COMMON_LOWER: Final = 0.7  # ... and the share of them in which it is written in lower case


def common_words(corpus: Path) -> list[str]:
    """Words many prospects write in lower case in their sentences: no name is one of them.
    ("Budi" is in many corpus replies too, but capitalised.)"""
    from dialogs.extract.features import tokens

    replies: dict[str, int] = {}
    lower: dict[str, int] = {}
    for spec in SPECS:
        for entry in yaml.safe_load((corpus / spec.file).read_text()):
            seen: set[str] = set()
            for n, word in enumerate(tokens(str(entry["text"]))):
                key = word.casefold()
                if not key.isalpha() or key in seen:
                    continue
                seen.add(key)
                replies[key] = replies.get(key, 0) + 1
                if word == key or n == 0:  # a sentence's first word says nothing by its case
                    lower[key] = lower.get(key, 0) + 1
    names = _names_said(corpus)
    return sorted(
        word
        for word, count in replies.items()
        if count >= COMMON_IN and lower.get(word, 0) / count >= COMMON_LOWER and word not in names
    )


def _names_said(corpus: Path) -> set[str]:
    """Words of the names and companies labelled in the studied batches: chat writes "rudi"
    in lower case as often as not, and it is still a name."""
    from dialogs.extract.features import tokens

    words: set[str] = set()
    for path in sorted((corpus / "studied").glob("*.yaml")):
        for conversation in yaml.safe_load(path.read_text()):
            for turn in conversation["turns"]:
                for key in ("name", "company"):
                    if turn.get(key):
                        words.update(w.casefold() for w in tokens(str(turn[key])))
    return words


def _save(
    out: Path,
    features: Sequence[str],
    idf: Array,
    trained: Sequence[Trained],
    common: Sequence[str],
) -> None:
    weights = np.hstack([t.weights for t in trained])
    scale = np.maximum(np.abs(weights).max(axis=0), 1e-9) / 127.0
    quantized = np.round(weights / scale).astype(np.int8)
    meta: dict[str, Any] = {"families": []}
    start = 0
    for t in trained:
        meta["families"].append(
            {
                "name": t.spec.name,
                "labels": list(t.spec.labels),
                "start": start,
                "multilabel": t.spec.multilabel,
                "temperature": round(t.temperature, 3),
                "thresholds": [round(v, 3) for v in t.thresholds],
            }
        )
        start += t.weights.shape[1]
    with out.open("wb") as file:
        np.savez_compressed(
            file,
            features=np.array("\n".join(features)),
            idf=idf.astype(np.float32),
            weights=quantized,
            scale=scale.astype(np.float32),
            bias=np.concatenate([t.bias for t in trained]).astype(np.float32),
            meta=np.array(json.dumps(meta, sort_keys=True)),
            common=np.array("\n".join(common)),
        )


def register(nlu_commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """`qualibot nlu train`."""
    command = nlu_commands.add_parser("train", help="fit the reply classifiers from corpus/")
    command.add_argument("--corpus", type=Path, default=CORPUS, help="corpus folder")
    command.add_argument("--out", type=Path, default=MODEL, help="model file to write")
    command.set_defaults(func=_train)
    move = nlu_commands.add_parser(
        "absorb", help="append studied blind batches (held-out format) to the corpus"
    )
    move.add_argument("files", nargs="+", type=Path)
    move.add_argument("--corpus", type=Path, default=CORPUS, help="corpus folder")
    move.set_defaults(func=_absorb)


def _absorb(args: argparse.Namespace) -> int:
    added = absorb(args.files, args.corpus)
    print(", ".join(f"{family}: +{count}" for family, count in added.items()))
    return 0


def _train(args: argparse.Namespace) -> int:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print(
            "qualibot nlu train needs scikit-learn: pip install -e '.[calibrate]'",
            file=sys.stderr,
        )
        return 2
    train(args.corpus, args.out)
    return 0


def absorb(paths: Sequence[Path], corpus: Path) -> dict[str, int]:
    """Append the replies of studied blind batches (held-out format) to the family files:
    every reply teaches every family, a slot it says nothing about as "says nothing". Budget
    and timeline replies that carry an amount or a date are left to the grammars."""
    from bot.nlu_eval import load_replies
    from dialogs.extract.money import budget_in
    from dialogs.extract.timeline import timeline_in

    added = dict.fromkeys(("authority", "need", "budget_status", "timeline_status", "intents"), 0)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in added}
    for reply in load_replies(paths):
        gold, text = reply.gold, reply.text
        authority = gold["authority"] or {}
        rows["authority"].append(
            {"text": text, "role": authority.get("role"), "process": authority.get("process")}
        )
        need = gold["need"] or {}
        rows["need"].append({"text": text, "level": need.get("level"), "use_case": None})
        rows["intents"].append({"text": text, "intents": sorted(gold["intents"])})
        norm = normalize(text)
        budget = gold["budget"]
        amount = budget is not None and (budget.get("min") or budget.get("max"))
        if not amount and (budget is not None or budget_in(norm) is None):
            rows["budget_status"].append(
                {"text": text, "status": budget["status"] if budget else None}
            )
        timeline = gold["timeline"]
        dated = timeline_in(norm, now=reply.now)
        if dated is None or dated.start is None:
            bucket = timeline["bucket"] if timeline else None
            if bucket in (None, "immediate_<=2w", "no_plan", "unknown"):
                rows["timeline_status"].append({"text": text, "bucket": bucket})
    names = ", ".join(path.name for path in paths)
    for family, entries in rows.items():
        file = corpus / f"{family}.yaml"
        known = {str(e["text"]).casefold() for e in yaml.safe_load(file.read_text()) or []}
        fresh = [e for e in entries if " ".join(e["text"].split()).casefold() not in known]
        lines = [f"\n# Studied blind batch {names}: moved here after its first run.\n"]
        for entry in fresh:
            entry["text"] = " ".join(entry["text"].split())
            dumped = yaml.safe_dump(
                entry, allow_unicode=True, default_flow_style=True, width=10**6
            ).strip()
            lines.append(f"- {dumped}\n")
            known.add(entry["text"].casefold())
        with file.open("a", encoding="utf-8") as out:
            out.write("".join(lines))
        added[family] = len(fresh)
    return added
