"""Synthetic lead outcomes with a known structure, for calibration tests and benchmarks.

Usage: `python bench/make_leads.py OUT.csv [--rows 9000] [--seed 0] [--no-leak]`.

The data imitates an inbound B2B funnel in Indonesia (shaped like the public X Education lead
data: ~38% converted, a dozen attributes, categorical and numeric, some missing). Every effect
is stated in `TRUE_EFFECTS` on the log-odds scale, relative to each attribute's most common
value, so a test can check that calibration recovers the signs and the order of the effects.
`call_status` is planted leakage: it is filled in by sales *after* contact and nearly decides
the outcome, as call outcomes and rep ratings do in real CRMs.
"""

import argparse
import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

TARGET_RATE: Final = 0.38

# Log-odds effects relative to the modal level (listed first with 0.0), with level shares.
CATEGORIES: Final[Mapping[str, Mapping[str, tuple[float, float]]]] = {
    "lead_source": {
        "website": (0.0, 0.40),
        "paid_ads": (-0.5, 0.22),
        "referral": (1.1, 0.12),
        "event": (0.5, 0.10),
        "social": (-0.2, 0.10),
        "cold_outreach": (-1.0, 0.045),
        "podcast": (0.3, 0.010),  # rare: pooled into "other"
        "partner_webinar": (0.3, 0.005),  # rare: pooled into "other"
    },
    "industry": {
        "retail": (0.0, 0.30),
        "manufacturing": (0.3, 0.20),
        "finance": (0.7, 0.15),
        "technology": (0.4, 0.15),
        "education": (-0.6, 0.10),
        "government": (-1.0, 0.10),
    },
    "role": {
        "manager": (0.0, 0.35),
        "staff": (-0.6, 0.25),
        "director": (0.6, 0.18),
        "owner": (1.2, 0.14),
        "student": (-1.8, 0.08),
    },
    "city": {  # no effect at all: a calibrated table should give it (almost) nothing
        "jakarta": (0.0, 0.45),
        "surabaya": (0.0, 0.20),
        "bandung": (0.0, 0.15),
        "medan": (0.0, 0.10),
        "makassar": (0.0, 0.10),
    },
    "asked_demo": {"no": (0.0, 0.80), "yes": (1.6, 0.20)},
}

TIMELINE_EFFECT: Final[Mapping[int, float]] = {1: 0.9, 3: 0.4, 6: 0.0, 12: -0.7}

TRUE_EFFECTS: Final[dict[str, dict[str, float]]] = {
    **{
        column: {level: effect for level, (effect, _) in levels.items()}
        for column, levels in CATEGORIES.items()
    },
    "timeline_months": {str(months): effect for months, effect in TIMELINE_EFFECT.items()},
    # Numeric effects: log-odds per unit of the transformed value (monotonic increasing).
    "company_size": {"per_log10_employee": 0.6},
    "pages_viewed": {"per_page_up_to_10": 0.12},
    "time_on_site": {"per_log_minute": 0.35},
    "email_opened": {"opened": 0.6},
    "budget_idr": {"per_log10_idr_above_7": 0.8, "missing": -0.4},
    # Not additive, as in real funnels: an additive points table cannot express these, so
    # gradient boosting has something to find that the table does not.
    "interactions": {"demo_by_decision_maker": 0.8, "long_visit_after_15_min": -0.6},
}


def generate_leads(rows: int = 9000, *, seed: int = 0, leak: bool = True) -> pd.DataFrame:
    """`rows` leads with a `converted` outcome (1/0); deterministic for a given seed."""
    rng = np.random.default_rng(seed)
    data: dict[str, object] = {"lead_id": [f"L{seed:02d}-{i:06d}" for i in range(rows)]}
    logit = np.zeros(rows)
    chosen: dict[str, npt.NDArray[np.object_]] = {}
    for column, levels in CATEGORIES.items():
        names = list(levels)
        shares = np.array([share for _, share in levels.values()])
        picks = rng.choice(len(names), size=rows, p=shares / shares.sum())
        data[column] = chosen[column] = np.array(names, dtype=object)[picks]
        logit += np.array([effect for effect, _ in levels.values()])[picks]

    size = np.round(10 ** rng.normal(1.9, 0.7, rows)).clip(1, 20000)
    data["company_size"] = size.astype(int)
    logit += 0.6 * (np.log10(size) - 1.9)

    pages = rng.poisson(4.0, rows)
    data["pages_viewed"] = pages
    logit += 0.12 * (np.minimum(pages, 10) - 4)

    minutes = np.exp(rng.normal(1.2, 0.9, rows))
    data["time_on_site"] = np.round(minutes * 60).astype(int)  # seconds, as analytics export it
    logit += 0.35 * (np.log(minutes) - 1.2)

    decision_maker = np.isin(chosen["role"], ["owner", "director"])
    logit += 0.8 * (decision_maker & (chosen["asked_demo"] == "yes"))
    logit -= 0.6 * (minutes > 15)  # an idle tab, not interest

    opened = rng.random(rows) < 0.45
    data["email_opened"] = opened.astype(int)
    logit += 0.6 * opened

    budget = 10 ** rng.normal(7.6, 0.6, rows)  # around Rp 40 juta
    budget_missing = rng.random(rows) < 0.3
    data["budget_idr"] = np.where(budget_missing, np.nan, np.round(budget, -5))
    logit += np.where(budget_missing, -0.4, 0.8 * (np.log10(budget) - 7.6))

    timelines = np.array(list(TIMELINE_EFFECT))
    picks = rng.choice(len(timelines), size=rows, p=[0.15, 0.3, 0.35, 0.2])
    timeline_missing = rng.random(rows) < 0.1
    data["timeline_months"] = pd.Series(timelines[picks]).astype("Int64").mask(timeline_missing)
    logit += np.where(timeline_missing, 0.0, np.array(list(TIMELINE_EFFECT.values()))[picks])

    intercept = _intercept_for_rate(logit, TARGET_RATE)
    converted = rng.random(rows) < 1 / (1 + np.exp(-(intercept + logit)))
    data["converted"] = converted.astype(int)

    if leak:
        # Sales writes the call outcome after the contact: it all but decides conversion.
        won = np.where(rng.random(rows) < 0.96, "meeting_booked", "no_answer")
        lost = np.where(rng.random(rows) < 0.7, "not_interested", "no_answer")
        lost = np.where(rng.random(rows) < 0.03, "meeting_booked", lost)
        data["call_status"] = np.where(converted, won, lost)
    return pd.DataFrame(data)


def _intercept_for_rate(logit: np.ndarray, rate: float) -> float:
    """The intercept that makes the mean conversion probability `rate` (bisection)."""
    low, high = -10.0, 10.0
    for _ in range(60):
        middle = (low + high) / 2
        mean = float(np.mean(1 / (1 + np.exp(-(middle + logit)))))
        low, high = (middle, high) if mean < rate else (low, middle)
    return (low + high) / 2


def main(argv: list[str] | None = None) -> int:
    """Write a generated CSV and say what is in it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=9000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-leak", action="store_true", help="leave out call_status")
    args = parser.parse_args(argv)
    leads = generate_leads(args.rows, seed=args.seed, leak=not args.no_leak)
    leads.to_csv(args.out, index=False)
    rate = float(leads["converted"].mean())
    print(f"{args.out}: {len(leads)} leads, {rate:.1%} converted, {len(leads.columns)} columns")
    return 0 if math.isfinite(rate) else 1


if __name__ == "__main__":
    sys.exit(main())
