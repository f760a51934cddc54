"""Shared fixtures: a fixed clock, the bundled flow, and PTB's timedelta mode."""

import os
from datetime import UTC, datetime

import pytest

from dialogs import Flow, load_flow

# RetryAfter.retry_after as a timedelta, with no deprecation warning (STYLE.md).
os.environ.setdefault("PTB_TIMEDELTA", "1")

# Wednesday 13 May 2026, 10:00 in Jakarta.
NOW = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture(scope="session")
def flow() -> Flow:
    return load_flow()
