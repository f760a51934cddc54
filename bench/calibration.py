"""Benchmark of `qualibot calibrate`: the integer points table against plain models, same folds.

Usage: `python bench/calibration.py [--rows 9000] [--seed 0] [--folds 5]`.

On generated leads (bench/make_leads.py, without the leaky `call_status` column) it prints the
out-of-fold AUC (mean +/- SD over the folds) of
  * the rounded integer points table that `qualibot calibrate` writes,
  * a plain scikit-learn LogisticRegression on one-hot categories and raw numbers
    (median-imputed with a missing indicator, standardised),
  * a HistGradientBoostingClassifier on the raw columns (native categories and missing values),
all on the same stratified folds, then the band table of the points.
"""

import argparse
import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from make_leads import generate_leads
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from scoring.calibration import Calibration, calibrate

TARGET = "converted"
DROPPED = ["lead_id", "call_status"]  # an id, and the planted post-contact leak


def plain_logistic(numeric: list[str], categorical: list[str]) -> Pipeline:
    """What one would fit first: one-hot categories, raw numbers, default C."""
    encode = ColumnTransformer(
        [
            ("categories", OneHotEncoder(handle_unknown="ignore"), categorical),
            (
                "numbers",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=True), StandardScaler()
                ),
                numeric,
            ),
        ]
    )
    return make_pipeline(encode, LogisticRegression(max_iter=2000))


def gradient_boosting() -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)


def fold_aucs(
    model: Callable[[], Pipeline | HistGradientBoostingClassifier],
    x: pd.DataFrame,
    y: np.ndarray,
    folds: int,
    seed: int,
) -> list[float]:
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    aucs = []
    for train, test in splitter.split(x, y):
        fitted = model().fit(x.iloc[train], y[train])
        aucs.append(float(roc_auc_score(y[test], fitted.predict_proba(x.iloc[test])[:, 1])))
    return aucs


def line(name: str, aucs: list[float], seconds: float) -> str:
    return (
        f"  {name:<44} AUC {np.mean(aucs):.3f} +/- {np.std(aucs, ddof=1):.3f}   ({seconds:.1f} s)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=9000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args(argv)

    leads = generate_leads(args.rows, seed=args.seed).drop(columns=DROPPED)
    y = leads[TARGET].to_numpy()
    x = leads.drop(columns=[TARGET])
    numeric = [c for c in x.columns if pd.api.types.is_numeric_dtype(x[c])]
    categorical = [c for c in x.columns if c not in numeric]
    print(
        f"{len(leads)} generated leads, {y.mean():.1%} converted, {len(x.columns)} attributes "
        f"({len(categorical)} categorical, {len(numeric)} numeric); "
        f"{args.folds} folds, seed {args.seed}"
    )

    start = time.perf_counter()
    table: Calibration = calibrate(leads, TARGET, folds=args.folds, seed=args.seed)
    points_seconds = time.perf_counter() - start

    start = time.perf_counter()
    logistic = fold_aucs(lambda: plain_logistic(numeric, categorical), x, y, args.folds, args.seed)
    logistic_seconds = time.perf_counter() - start

    native = x.astype(dict.fromkeys(categorical, "category"))
    native = native.astype(dict.fromkeys(numeric, "float64"))
    start = time.perf_counter()
    boosting = fold_aucs(gradient_boosting, native, y, args.folds, args.seed)
    boosting_seconds = time.perf_counter() - start

    evaluation = table.evaluation
    print(
        line(
            f"points table ({len(table.rules)} integer rules, base {table.base})",
            list(table.fold_aucs),
            points_seconds,
        )
    )
    print(
        f"  {'  (its logistic model before rounding)':<44} AUC {table.model_auc:.3f} "
        "pooled out-of-fold"
    )
    print(line("plain LogisticRegression, one-hot + raw", logistic, logistic_seconds))
    print(line("HistGradientBoostingClassifier", boosting, boosting_seconds))
    print(f"  points minus plain LR: {evaluation.auc - np.mean(logistic):+.3f} AUC")
    print(f"  calibration error (score/100 vs conversion): {evaluation.calibration_error:.3f}")
    for title, bands in (
        ("standard bands", evaluation.bands),
        ("suggested bands", evaluation.suggested),
    ):
        t = bands.thresholds
        print(f"\n  {title} (Hot >= {t.hot}, Warm {t.warm}-{t.hot - 1}, Cold < {t.warm}):")
        for band, stat in bands.stats().items():
            conversion = "-" if stat.conversion is None else f"{stat.conversion:.1%}"
            print(
                f"    {band.value:<5} {stat.rows:>6} leads  {stat.share:>6.1%}  "
                f"converted {conversion:>6}"
            )
    print("\n  pushing up:   " + "; ".join(f"{r.reason} {r.points:+d}" for r in table.top_up))
    print("  pushing down: " + "; ".join(f"{r.reason} {r.points:+d}" for r in table.top_down))
    return 0


if __name__ == "__main__":
    sys.exit(main())
