"""What an admin reads on the lead page and inbox: times in their zone, score reasons folded,
labels rather than ids, button presses as the button's label, web chat replies without a
delivery state, and a search over leads."""

import html
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import build_app
from bot.config import Settings
from tests.e2e.conftest import AppClient
from tests.e2e.test_admin import PASSWORD, lead_path, logged_in, reach_sql


@pytest.fixture
async def admin(
    aiohttp_client: Callable[[web.Application], Awaitable[AppClient]], tmp_path: Path
) -> AppClient:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/r.db", admin_password=PASSWORD
    )
    return await aiohttp_client(build_app(settings))


async def lead_page(admin: AppClient) -> str:
    await reach_sql(admin, "s1")
    await logged_in(admin)
    return html.unescape(await (await admin.get(await lead_path(admin))).text())


async def test_times_are_in_the_admins_zone(admin: AppClient) -> None:
    page = await lead_page(admin)

    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d WIB", page) is not None
    assert " UTC" not in page


async def test_repeated_score_reasons_are_shown_once_with_a_count(admin: AppClient) -> None:
    page = await lead_page(admin)

    reasons = re.findall(r"<li>([^<]+?)(?: <span|</li>)", page[page.index('id="reasons"') :])
    assert reasons
    assert len(reasons) == len(set(reasons))
    assert "×" in page[page.index('id="reasons"') :]


async def test_labels_not_ids_and_presses_show_the_button(admin: AppClient) -> None:
    page = await lead_page(admin)

    transcript = page[page.index("<h2>Transcript</h2>") :]
    assert "s51_200" not in page.replace('title="s51_200"', "")
    assert "51-200" in page
    assert '<span class="pressed">[Ya]</span>' in transcript
    assert '<span class="pressed">[51-200]</span>' in transcript
    assert "· pending" not in transcript
    assert "· sent" not in transcript


async def test_search_finds_leads_by_name_or_company(admin: AppClient) -> None:
    await reach_sql(admin, "s1")
    await logged_in(admin)

    found = await (await admin.get("/admin?q=maju")).text()
    missing = await (await admin.get("/admin?q=zzz")).text()

    assert "Budi" in found
    assert "No leads match this filter." in missing
