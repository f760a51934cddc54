"""Fixtures for the calibration tests: generated leads with known effects, fitted once."""

import sys
from pathlib import Path

import pandas as pd
import pytest

# bench/ holds scripts, not a package; its lead generator is shared with these tests.
BENCH = Path(__file__).resolve().parents[3] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from make_leads import generate_leads  # noqa: E402

from scoring.calibration import Calibration, calibrate  # noqa: E402

ROWS = 3000


@pytest.fixture(scope="session")
def leads() -> pd.DataFrame:
    """3,000 leads, ~38% converted, with the planted leaky `call_status` column."""
    return generate_leads(ROWS, seed=1)


@pytest.fixture(scope="session")
def fitted(leads: pd.DataFrame) -> Calibration:
    """The points table learned from `leads` without the leaky column."""
    return calibrate(leads, "converted", exclude=["call_status"])


@pytest.fixture(scope="session")
def leads_csv(leads: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same leads as a CSV file, as a sales team would export them."""
    path = tmp_path_factory.mktemp("outcomes") / "leads.csv"
    leads.to_csv(path, index=False)
    return path
