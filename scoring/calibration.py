"""Calibration: fit an integer points table from won/lost outcomes and measure how it ranks.

Offline only. It needs numpy, pandas and scikit-learn (the `calibrate` extra), so
`scoring/__init__.py` does not import it and the service runs without them; `bot/calibrate.py`
reads the files and calls `calibrate` and `evaluate_points` with a DataFrame.

How a table is made:
1. Every attribute column becomes indicator levels, each one a `FitRule` template, so the
   design matrix is built by `FitRule.matches` itself and the table scores a lead in the flow
   exactly as it scored the rows here. Categories: one level per value (case-folded); values
   rarer than `max(30 rows, 2%)` are pooled into one `one_of` level. Numbers: quantile bins with
   integer-friendly edges, `[min, max)` like `FitRule`. A missing value matches no level.
2. An L2-regularized logistic regression on the indicators; C is chosen by a 3-fold inner CV.
3. The linear predictor is mapped onto 0..100 by the least-squares line through
   (logit, 100 * p) on the training rows, so a score of 70 means about 70% convert. Scaled
   coefficients become points and the intercept the base, then both are rounded to integers.
4. Missing values earn nothing, so the base is what a lead with nothing known gets. For an
   attribute that is never missing in the data, the most common level is the reference: its
   points move into the base and it gets no rule (fewer rules; a lead whose value is unknown
   is treated like a typical one). Where values are missing, the missing rows are the
   reference and every level keeps its rule, which reproduces the model exactly.
5. Stratified k-fold CV repeats 1-3 on each training part; AUC, bands and calibration error
   are measured on the out-of-fold *integer* scores, i.e. on the table the team will use.
"""

import itertools
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from scoring.bands import Band, BandThresholds, band_of
from scoring.errors import ScoringError
from scoring.rules import Attribute, FitRule

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

MIN_LEVEL_ROWS: Final = 30
MIN_LEVEL_SHARE: Final = 0.02
NUMERIC_BINS: Final = 5
C_GRID: Final = (0.03, 0.3, 3.0)  # AUC barely moves across it; three keep the inner CV quick
LEAK_AUC: Final = 0.95
SUGGESTED_HOT_SHARE: Final = 0.20
SUGGESTED_WARM_SHARE: Final = 0.30
TOP_RULES: Final = 5
MIN_SCORE, MAX_SCORE = 0, 100
STANDARD: Final = BandThresholds()  # Hot >= 80, Warm >= 50

POSITIVE: Final = frozenset({"1", "1.0", "true", "yes", "y", "won", "converted", "win"})
NEGATIVE: Final = frozenset(
    {
        "0",
        "0.0",
        "false",
        "no",
        "n",
        "lost",
        "not converted",
        "not_converted",
        "unconverted",
        "loss",
    }
)


@dataclass(frozen=True, slots=True)
class BandStat:
    """How many leads fall in a band and how many of them converted."""

    rows: int
    share: float
    conversion: float | None  # None when the band is empty


@dataclass(frozen=True, slots=True)
class BandTable:
    """Share and conversion per band for one set of thresholds."""

    thresholds: BandThresholds
    hot: BandStat
    warm: BandStat
    cold: BandStat

    def stats(self) -> dict[Band, BandStat]:
        """Hot, Warm and Cold in that order."""
        return {Band.HOT: self.hot, Band.WARM: self.warm, Band.COLD: self.cold}


@dataclass(frozen=True, slots=True)
class Evaluation:
    """How a points table ranks and calibrates on leads with known outcomes."""

    rows: int
    positives: int
    auc: float
    auc_sd: float
    bands: BandTable  # with the thresholds asked for (standard: Hot >= 80, Warm >= 50)
    suggested: BandTable  # top ~20% Hot, next ~30% Warm
    calibration_error: float  # expected calibration error of score / 100, 10 bins
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Calibration:
    """A learned points table and its out-of-fold evaluation."""

    base: int
    rules: tuple[FitRule, ...]
    evaluation: Evaluation
    fold_aucs: tuple[float, ...]  # of the rounded points table, per fold
    model_auc: float  # of the unrounded model's out-of-fold probabilities, for comparison
    c: float  # regularization strength chosen on all rows

    @property
    def top_up(self) -> tuple[FitRule, ...]:
        """The rules adding the most points."""
        ups = sorted((r for r in self.rules if r.points > 0), key=lambda r: -r.points)
        return tuple(ups[:TOP_RULES])

    @property
    def top_down(self) -> tuple[FitRule, ...]:
        """The rules taking the most points away."""
        downs = sorted((r for r in self.rules if r.points < 0), key=lambda r: r.points)
        return tuple(downs[:TOP_RULES])


@dataclass(frozen=True, slots=True)
class _Encoding:
    """Indicator levels (FitRule templates worth 0) and, per attribute, its reference level."""

    levels: tuple[FitRule, ...]
    references: dict[str, int]  # attribute -> index of the level whose points go to the base
    ignored: tuple[str, ...]  # warnings about columns that gave no level


def parse_outcome(column: pd.Series) -> Floats:
    """1.0 for converted, 0.0 for not, NaN for missing; other values raise ScoringError."""
    outcome = np.full(len(column), np.nan)
    bad: Counter[str] = Counter()
    for i, value in enumerate(column.tolist()):
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        text = str(value).strip().casefold()
        if not text:
            continue
        if text in POSITIVE:
            outcome[i] = 1.0
        elif text in NEGATIVE:
            outcome[i] = 0.0
        else:
            bad[str(value)] += 1
    if bad:
        shown = ", ".join(f"{value!r} ({n}x)" for value, n in bad.most_common(5))
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise ScoringError(
            f"column {column.name!r} is not a binary outcome: {shown}{more}; "
            "use 1/0, true/false, yes/no, won/lost or converted/not converted"
        )
    return outcome


def attribute_values(column: pd.Series) -> list[Attribute]:
    """Plain Python values as a flow would hold them: missing is None, text is case-folded."""
    if pd.api.types.is_bool_dtype(column):
        return [bool(v) for v in column.tolist()]
    if pd.api.types.is_numeric_dtype(column):
        floats: list[float] = column.astype("float64").tolist()
        return [None if math.isnan(v) else v for v in floats]
    values: list[Attribute] = []
    for value in column.tolist():
        text = "" if value is None or pd.isna(value) else str(value).strip().casefold()
        values.append(text or None)
    return values


def points_scores(
    base: int, rules: Sequence[FitRule], columns: dict[str, list[Attribute]], rows: int
) -> Ints:
    """Each row's score: base plus the points of every rule it matches, clamped to 0..100."""
    total = np.full(rows, base, dtype=np.int64)
    for rule in rules:
        values = columns.get(rule.attribute)
        if values is not None:
            total += rule.points * _indicator(rule, values)
    return np.clip(total, MIN_SCORE, MAX_SCORE)


def calibrate(
    frame: pd.DataFrame,
    target: str,
    *,
    exclude: Iterable[str] = (),
    folds: int = 5,
    seed: int = 0,
    on_step: Callable[[], None] | None = None,
) -> Calibration:
    """Fit a points table on `frame` and evaluate it out of fold; `on_step` ticks folds + 1 times.

    Raises ScoringError for a missing or non-binary target, unknown excluded columns, or too
    few converted or unconverted rows for the number of folds.
    """
    if folds < 2:
        raise ScoringError(f"--folds must be at least 2, not {folds}")
    frame, y, notes = _labelled(frame, target, folds)
    excluded = list(exclude)
    unknown = [column for column in excluded if column not in frame.columns]
    if unknown:
        raise ScoringError(f"cannot exclude {', '.join(unknown)}: no such column")
    names = [c for c in frame.columns if c != target and c not in excluded]
    columns = {str(name): attribute_values(frame[name]) for name in names}
    encoding = _encode(columns, len(frame))
    if not encoding.levels:
        raise ScoringError("no attribute column has values common enough to score")
    x = _design(encoding.levels, columns)

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    oof_scores = np.zeros(len(y), dtype=np.int64)
    oof_p = np.zeros(len(y))
    fold_aucs: list[float] = []
    for train, test in splitter.split(x, y):
        model = _fit(x[train], y[train], seed)
        base, points = _table(model, x[train], encoding)
        oof_scores[test] = np.clip(base + x[test] @ points, MIN_SCORE, MAX_SCORE)
        oof_p[test] = model.predict_proba(x[test])[:, 1]
        fold_aucs.append(_auc(y[test], oof_scores[test]))
        if on_step is not None:
            on_step()

    model = _fit(x, y, seed)
    base, points = _table(model, x, encoding)
    if on_step is not None:
        on_step()
    rules = tuple(
        replace(level, points=int(p))
        for level, p in zip(encoding.levels, points, strict=True)
        if p != 0
    )
    auc = float(np.mean(fold_aucs))
    warnings = [*notes, *encoding.ignored, *_leakage(columns, y, auc)]
    evaluation = _evaluation(
        oof_scores, y, auc=auc, auc_sd=_sd(fold_aucs), thresholds=STANDARD, warnings=warnings
    )
    return Calibration(
        base=base,
        rules=rules,
        evaluation=evaluation,
        fold_aucs=tuple(fold_aucs),
        model_auc=_auc(y, oof_p),
        c=float(model.C),
    )


def evaluate_points(
    frame: pd.DataFrame,
    target: str,
    base: int,
    rules: Sequence[FitRule],
    thresholds: BandThresholds = STANDARD,
    *,
    folds: int = 5,
    seed: int = 0,
) -> Evaluation:
    """Score every row with an existing table; AUC on all rows, its SD over stratified folds."""
    frame, y, notes = _labelled(frame, target, folds)
    needed = {rule.attribute for rule in rules}
    columns = {name: attribute_values(frame[name]) for name in needed if name in frame.columns}
    absent: dict[str, list[str]] = {}
    for rule in rules:
        if rule.attribute not in columns:
            absent.setdefault(rule.attribute, []).append(rule.id)
    warnings = [*notes]
    warnings += [
        f"the outcomes have no column {name!r}, so rules {', '.join(ids)} earn nothing"
        for name, ids in absent.items()
    ]
    if rules and not columns:
        warnings.append(
            "no rule's attribute is a column of the outcomes: name the CSV columns like the "
            f"flow's attributes (e.g. {rules[0].attribute})"
        )
    scores = points_scores(base, rules, columns, len(frame))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    fold_aucs = [_auc(y[test], scores[test]) for _, test in splitter.split(scores, y)]
    auc = _auc(y, scores)
    warnings += _leakage(columns, y, auc) if auc > LEAK_AUC else []
    return _evaluation(
        scores, y, auc=auc, auc_sd=_sd(fold_aucs), thresholds=thresholds, warnings=warnings
    )


def suggest_thresholds(scores: Ints) -> BandThresholds:
    """Thresholds putting the top ~20% of leads in Hot and the next ~30% in Warm."""
    if len(scores) == 0 or scores.min() == scores.max():
        return BandThresholds()
    hot = _threshold_for_share(scores, SUGGESTED_HOT_SHARE, MAX_SCORE)
    warm = _threshold_for_share(scores, SUGGESTED_HOT_SHARE + SUGGESTED_WARM_SHARE, hot - 1)
    return BandThresholds(hot=hot, warm=min(warm, hot - 1))


def band_table(scores: Ints, y: Floats, thresholds: BandThresholds) -> BandTable:
    """Share of leads and conversion rate in each band."""
    bands = np.array([band_of(int(s), thresholds) for s in scores], dtype=object)

    def stat(band: Band) -> BandStat:
        inside = bands == band
        rows = int(inside.sum())
        conversion = float(y[inside].mean()) if rows else None
        return BandStat(rows=rows, share=rows / len(y) if len(y) else 0.0, conversion=conversion)

    return BandTable(thresholds, stat(Band.HOT), stat(Band.WARM), stat(Band.COLD))


def calibration_error(probabilities: Floats, y: Floats, bins: int = 10) -> float:
    """Expected calibration error: row-weighted mean |conversion - predicted| over 10 bins."""
    which = np.minimum((probabilities * bins).astype(int), bins - 1)
    error = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            gap = abs(float(y[inside].mean()) - float(probabilities[inside].mean()))
            error += gap * int(inside.sum()) / len(y)
    return error


def _labelled(
    frame: pd.DataFrame, target: str, folds: int
) -> tuple[pd.DataFrame, Floats, list[str]]:
    """Rows with an outcome, the outcome as 0/1, and notes; checks there are enough of each."""
    if target not in frame.columns:
        shown = ", ".join(map(str, frame.columns[:12]))
        raise ScoringError(f"no column {target!r} in the outcomes (columns: {shown})")
    outcome = parse_outcome(frame[target])
    known = ~np.isnan(outcome)
    notes = []
    if not known.all():
        notes.append(f"{int((~known).sum())} rows have no outcome in {target!r}; left out")
    needed = max(10, 2 * folds)
    positives, negatives = int((outcome == 1).sum()), int((outcome == 0).sum())
    if positives < needed or negatives < needed:
        raise ScoringError(
            f"too few outcomes to fit {folds} folds: need at least {needed} converted and "
            f"{needed} not converted rows, have {positives} and {negatives}"
        )
    return frame.loc[known].reset_index(drop=True), outcome[known], notes


def _encode(columns: dict[str, list[Attribute]], rows: int) -> _Encoding:
    min_rows = max(MIN_LEVEL_ROWS, math.ceil(MIN_LEVEL_SHARE * rows))
    levels: list[FitRule] = []
    references: dict[str, int] = {}
    ignored: list[str] = []
    for name, values in columns.items():
        present = [v for v in values if v is not None]
        if all(isinstance(v, float) for v in present) and present:
            mine = _bins(name, [v for v in present if isinstance(v, float)], min_rows)
        else:
            mine, note = _categories(name, present, min_rows)
            ignored += [note] if note else []
        if len(mine) < 2 and len(present) == rows:
            continue  # a constant column (or one common value) tells nothing
        start = len(levels)
        levels += mine
        if len(present) == rows:
            counts = [int(_indicator(level, values).sum()) for level in mine]
            references[name] = start + counts.index(max(counts))
    return _Encoding(tuple(levels), references, tuple(ignored))


def _categories(
    name: str, present: Sequence[Attribute], min_rows: int
) -> tuple[list[FitRule], str | None]:
    counts = Counter(present)
    common = [value for value, n in counts.most_common() if n >= min_rows]
    rare = sorted((value for value, n in counts.items() if n < min_rows), key=str)
    if not common and len(counts) > len(present) // 2:
        return [], f"{name}: almost every value is different (an id?); ignored"
    levels = [
        FitRule(
            id=_slug(f"{name}_{value}"),
            attribute=name,
            points=0,
            reason=f"{name} = {value}",
            equals=value,
        )
        for value in common
    ]
    if rare:
        shown = ", ".join(map(str, rare[:5])) + (", ..." if len(rare) > 5 else "")
        levels.append(
            FitRule(
                id=_slug(f"{name}_other"),
                attribute=name,
                points=0,
                reason=f"{name} is a rarer value ({shown})",
                one_of=tuple(rare),
            )
        )
    return levels, None


def _bins(name: str, present: list[float], min_rows: int) -> list[FitRule]:
    values = np.array(present)
    quantiles = np.quantile(values, np.linspace(0, 1, NUMERIC_BINS + 1)[1:-1], method="higher")
    edges = sorted({_nice(float(q)) for q in quantiles})
    # Merge bins too small to estimate: drop the edge next to the smallest bin until none is.
    while edges:
        bounds = [-math.inf, *edges, math.inf]
        counts = [
            int(((values >= lo) & (values < hi)).sum()) for lo, hi in itertools.pairwise(bounds)
        ]
        smallest = counts.index(min(counts))
        if counts[smallest] >= min_rows:
            break
        if smallest == 0:
            del edges[0]
        elif smallest == len(counts) - 1:
            del edges[-1]
        else:  # merge into the smaller neighbour
            del edges[smallest - 1 if counts[smallest - 1] <= counts[smallest + 1] else smallest]
    open_bounds: list[float | None] = [None, *edges, None]
    levels = []
    for lo, hi in itertools.pairwise(open_bounds):
        if lo is None and hi is None:
            continue
        if lo is None:
            rule_id, reason = f"{name}_lt_{_num(hi)}", f"{name} < {_num(hi)}"
        elif hi is None:
            rule_id, reason = f"{name}_ge_{_num(lo)}", f"{name} >= {_num(lo)}"
        else:
            rule_id, reason = (
                f"{name}_{_num(lo)}_{_num(hi)}",
                f"{name} in [{_num(lo)}, {_num(hi)})",
            )
        levels.append(
            FitRule(id=_slug(rule_id), attribute=name, points=0, reason=reason, min=lo, max=hi)
        )
    return levels


def _nice(value: float) -> float:
    """Two significant digits, so edges read like 51, 1200 or 45000000 rather than 1234.5."""
    if value == 0 or not math.isfinite(value):
        return value
    digits = 1 - math.floor(math.log10(abs(value)))
    # At 1 and above, whole numbers: a bin edge of 5.7 employees or pages reads oddly.
    return float(round(value, min(digits, 0) if abs(value) >= 1 else digits))


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", text.casefold()).strip("_")


def _indicator(rule: FitRule, values: list[Attribute]) -> Ints:
    cache: dict[Attribute, bool] = {}
    out = np.zeros(len(values), dtype=np.int64)
    for i, value in enumerate(values):
        hit = cache.get(value)
        if hit is None:
            hit = cache[value] = rule.matches(value)
        out[i] = hit
    return out


def _design(levels: Sequence[FitRule], columns: dict[str, list[Attribute]]) -> Floats:
    rows = len(next(iter(columns.values())))
    x = np.zeros((rows, len(levels)))
    for j, level in enumerate(levels):
        x[:, j] = _indicator(level, columns[level.attribute])
    return x


def _fit(x: Floats, y: Floats, seed: int) -> LogisticRegression:
    """L2 logistic regression with C picked by 3-fold inner CV on these rows only."""
    inner = StratifiedKFold(n_splits=3, shuffle=True, random_state=seed)
    splits = list(inner.split(x, y))

    def inner_auc(c: float) -> float:
        aucs = []
        for train, test in splits:
            model = LogisticRegression(C=c, max_iter=2000).fit(x[train], y[train])
            aucs.append(_auc(y[test], model.decision_function(x[test])))
        return float(np.mean(aucs))

    best = max(C_GRID, key=inner_auc)
    return LogisticRegression(C=best, max_iter=2000).fit(x, y)


def _table(model: LogisticRegression, x: Floats, encoding: _Encoding) -> tuple[int, Ints]:
    """Integer base and points: logit mapped onto 0..100 by the line through (logit, 100p)."""
    weights: Floats = model.coef_[0]
    intercept = float(model.intercept_[0])
    eta = x @ weights + intercept
    hundred_p = 100 / (1 + np.exp(-eta))
    variance = float(eta.var())
    slope = float(np.cov(eta, hundred_p, bias=True)[0, 1]) / variance if variance > 1e-12 else 0.0
    offset = float(hundred_p.mean()) - slope * float(eta.mean())
    points = slope * weights
    base = offset + slope * intercept
    for name, reference in encoding.references.items():
        mine = [j for j, level in enumerate(encoding.levels) if level.attribute == name]
        shift = points[reference]
        base += shift
        points[mine] -= shift
    return round(base), np.rint(points).astype(np.int64)


def _leakage(columns: dict[str, list[Attribute]], y: Floats, overall: float) -> list[str]:
    """Warn about columns that alone all but decide the outcome (filled in after contact?)."""
    min_rows = max(MIN_LEVEL_ROWS, math.ceil(MIN_LEVEL_SHARE * len(y)))
    alone = {name: _auc_alone(values, y, min_rows) for name, values in columns.items()}
    warnings = [
        f"possible leakage: {name} alone predicts the outcome with AUC {auc:.3f}; "
        f"if it is filled in after sales contact, rerun with --exclude {name}"
        for name, auc in sorted(alone.items(), key=lambda item: -item[1])
        if auc > LEAK_AUC
    ]
    if overall > LEAK_AUC and alone:
        strongest = max(alone, key=lambda name: alone[name])
        warnings.append(
            f"possible leakage: AUC {overall:.3f} is too good for lead attributes; "
            f"the strongest column is {strongest} (AUC {alone[strongest]:.3f} alone); "
            f"if it is filled in after sales contact, rerun with --exclude {strongest}"
        )
    return warnings


def _auc_alone(values: list[Attribute], y: Floats, min_rows: int) -> float:
    """AUC of one column used alone: each group's conversion rate as the score.

    Groups are what the table could use (20 quantile bins, common values, one "rare" group),
    so an id column, whose every value is its own group, does not look like a perfect predictor.
    """
    if all(v is None for v in values):
        return 0.5
    if all(isinstance(v, float) or v is None for v in values):
        numbers = pd.Series([math.nan if v is None else v for v in values], dtype="float64")
        codes = pd.qcut(numbers, 20, labels=False, duplicates="drop")
        groups = [("missing" if pd.isna(code) else str(code)) for code in codes.tolist()]
    else:
        counts = Counter(values)
        groups = [
            "missing" if v is None else str(v) if counts[v] >= min_rows else "rare" for v in values
        ]
    rates = pd.Series(y).groupby(pd.Series(groups)).transform("mean").to_numpy(dtype=np.float64)
    auc = _auc(y, rates)
    return max(auc, 1 - auc)


def _auc(y: Floats, scores: Floats | Ints) -> float:
    if len(np.unique(y)) < 2:
        return math.nan
    return float(roc_auc_score(y, scores))


def _sd(values: Sequence[float]) -> float:
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def _evaluation(
    scores: Ints,
    y: Floats,
    *,
    auc: float,
    auc_sd: float,
    thresholds: BandThresholds,
    warnings: Sequence[str],
) -> Evaluation:
    return Evaluation(
        rows=len(y),
        positives=int(y.sum()),
        auc=auc,
        auc_sd=auc_sd,
        bands=band_table(scores, y, thresholds),
        suggested=band_table(scores, y, suggest_thresholds(scores)),
        calibration_error=calibration_error(scores / 100, y),
        warnings=tuple(warnings),
    )


def _threshold_for_share(scores: Ints, share: float, highest: int) -> int:
    """The threshold t <= highest whose share of scores >= t is closest to `share`."""
    candidates = range(MIN_SCORE + 1, highest + 1)
    if not candidates:  # Hot starts at 1: everything else is Cold
        return MIN_SCORE
    return min(candidates, key=lambda t: (abs(float((scores >= t).mean()) - share), -t))
