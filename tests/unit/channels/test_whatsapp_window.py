"""The 24-hour window per prospect, and the SDR template's parameters."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.channels.whatsapp_sdr import template_params
from bot.channels.whatsapp_window import ServiceWindows
from storage.database import Database

WROTE = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)
USER = "6281234567890"


@pytest.fixture
async def windows(tmp_path: Path) -> AsyncIterator[ServiceWindows]:
    # Users the windows have seen never touch the database; it is there for restarts.
    db = Database.from_url(f"sqlite+aiosqlite:///{tmp_path}/unused.db")
    yield ServiceWindows(db)
    await db.dispose()


async def test_window_is_open_for_24_hours_after_the_last_message(
    windows: ServiceWindows,
) -> None:
    windows.saw(USER, WROTE)

    inside = await windows.is_open(USER, WROTE + timedelta(hours=23, minutes=59))
    outside = await windows.is_open(USER, WROTE + timedelta(hours=24))

    assert (inside, outside) == (True, False)


async def test_an_older_redelivery_does_not_move_the_window_back(
    windows: ServiceWindows,
) -> None:
    windows.saw(USER, WROTE)

    windows.saw(USER, WROTE - timedelta(hours=20))

    assert await windows.is_open(USER, WROTE + timedelta(hours=23))


async def test_meta_closing_the_window_holds_until_a_newer_message(
    windows: ServiceWindows,
) -> None:
    windows.saw(USER, WROTE)
    windows.close(USER)
    closed = await windows.is_open(USER, WROTE + timedelta(minutes=1))

    windows.saw(USER, WROTE + timedelta(minutes=2))

    assert not closed
    assert await windows.is_open(USER, WROTE + timedelta(minutes=3))


async def test_the_reengagement_template_is_claimed_once_per_closed_window(
    windows: ServiceWindows,
) -> None:
    windows.saw(USER, WROTE - timedelta(days=2))

    first = await windows.claim_template(USER)
    second = await windows.claim_template(USER)
    windows.saw(USER, WROTE)
    after_reply = await windows.claim_template(USER)

    assert (first, second, after_reply) == (True, False, True)


async def test_a_template_that_failed_to_send_can_be_claimed_again(
    windows: ServiceWindows,
) -> None:
    windows.saw(USER, WROTE - timedelta(days=2))
    await windows.claim_template(USER)

    windows.release_template(USER)

    assert await windows.template_due(USER)


def test_sdr_template_params_are_name_company_score_band() -> None:
    summary = {"contact": {"name": "Budi", "company": "PT Maju Jaya"}, "score": 85, "band": "hot"}

    assert template_params(summary) == ["Budi", "PT Maju Jaya", "85", "HOT"]


def test_sdr_template_params_are_never_empty() -> None:
    # Meta refuses a template with an empty parameter (132000 family).
    assert template_params({"contact": {"name": None}, "score": 70, "band": "warm"}) == [
        "-",
        "-",
        "70",
        "WARM",
    ]
