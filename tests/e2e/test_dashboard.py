"""The dashboard's numbers on each backend (SQLite and PostgreSQL count them in SQL): the
funnel to won, time to SQL, SLA compliance, per band and per source, and the CSV."""

from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

from bot.app import build_app
from bot.config import Settings
from tests.e2e.conftest import AppClient, chat
from tests.e2e.test_admin import handoff_decision_path, logged_in, reach_sql

MakeClient = Callable[[web.Application], Awaitable[AppClient]]


@pytest.fixture
async def admin(aiohttp_client: MakeClient, any_settings: Settings) -> AppClient:
    # plain http: no Secure cookies, or they would never come back
    return await aiohttp_client(build_app(any_settings.model_copy(update={"public_url": ""})))


async def csv_rows(admin: AppClient, query: str = "") -> list[list[str]]:
    response = await admin.get(f"/admin/dashboard.csv{query}")
    assert response.status == 200
    return [line.split(",") for line in (await response.text()).splitlines()]


async def test_the_funnel_to_won_with_sla_time_to_sql_bands_and_sources(
    admin: AppClient,
) -> None:
    await reach_sql(admin, "winner")
    await admin.post(
        "/api/chat",
        json={"session": "ad-click", "message_id": "a1", "text": "Halo", "source": "utm:ig/ad"},
    )
    await chat(admin, "walk-in", "w1", "Halo")
    token = await logged_in(admin)
    action = await handoff_decision_path(admin)
    await admin.post(action, data={"csrf_token": token, "decision": "accepted"})
    await admin.post(action, data={"csrf_token": token, "decision": "won"})

    rows = await csv_rows(admin)
    ad_only = await csv_rows(admin, "?source=utm:ig/ad")
    page = await (await admin.get("/admin/dashboard")).text()

    assert rows[1] == ["all", "all", "3", "1", "1", "1", "1"]
    bands = {row[1]: row[2:] for row in rows if row[0] == "band"}
    assert sum(int(counts[0]) for counts in bands.values()) == 3
    sources = {row[1]: row[2:] for row in rows if row[0] == "source"}
    assert sources["utm:ig/ad"] == ["1", "0", "0", "0", "0"]
    assert sources["(none)"] == ["2", "1", "1", "1", "1"]
    metrics = {row[0]: row[1] for row in rows if len(row) == 2}
    assert 0 <= int(metrics["time_to_sql_seconds"]) < 3600
    assert (metrics["sla_handoffs"], metrics["sla_met"], metrics["sla_missed"]) == ("1", "1", "0")
    assert ad_only[1] == ["all", "all", "1", "0", "0", "0", "0"]
    assert "SLA met<strong>100%</strong>" in page
    assert "Accepted → won<strong>100%</strong>" in page


async def test_a_date_range_without_leads_counts_nothing_and_drop_off_follows(
    admin: AppClient,
) -> None:
    await chat(admin, "today", "t1", "Halo")
    await logged_in(admin)

    rows = await csv_rows(admin, "?from=2001-01-01&to=2001-12-31")
    then = await (await admin.get("/admin/dashboard?from=2001-01-01&to=2001-12-31")).text()
    now = await (await admin.get("/admin/dashboard?source=(none)")).text()

    assert rows[1] == ["all", "all", "0", "0", "0", "0", "0"]
    drop_off = "<h2>Drop-off per question (bant)</h2>"
    assert "No conversations yet." in then[then.index(drop_off) :]
    assert "v1 · 1 conversations" in now[now.index(drop_off) :]
