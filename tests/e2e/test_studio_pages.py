"""The flow studio and dashboard pages over HTTP, as a logged-in admin's browser uses them
without JavaScript: the editor's form and YAML tab, inline problems, the simulator, publish
with a note, rollback, diffs, the dashboard and its CSV."""

import html
from collections.abc import Awaitable, Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import build_app
from bot.config import Settings
from dialogs import BUNDLED_FLOW
from tests.e2e.conftest import AppClient, chat
from tests.e2e.test_admin import PASSWORD, logged_in, reach_sql

NAME_QUESTION = "Terima kasih! Dengan siapa saya berbicara?"
NEW_NAME_QUESTION = "Terima kasih! Boleh tahu nama lengkap Anda?"


@pytest.fixture
async def admin(
    aiohttp_client: Callable[[web.Application], Awaitable[AppClient]], tmp_path: Path
) -> AppClient:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/s.db", admin_password=PASSWORD
    )
    return await aiohttp_client(build_app(settings))


class FormFields(HTMLParser):
    """The fields a browser would submit from the form with the given class."""

    def __init__(self, form_class: str) -> None:
        super().__init__()
        self.form_class = form_class
        self.inside = False
        self.fields: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.inside = self.form_class in (found.get("class") or "").split()
        elif self.inside and tag == "input" and found.get("name"):
            self.fields[str(found["name"])] = found.get("value") or ""
        elif self.inside and tag == "textarea" and found.get("name"):
            self._textarea = str(found["name"])
            self.fields[self._textarea] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.fields[self._textarea] += data


def form_of(page: str, form_class: str = "editor") -> dict[str, str]:
    parser = FormFields(form_class)
    parser.feed(page)
    return parser.fields


async def page(client: AppClient, path: str) -> str:
    response = await client.get(path)
    assert response.status == 200, path
    return html.unescape(await response.text())


async def test_flows_page_lists_the_served_flow_and_its_version(admin: AppClient) -> None:
    await logged_in(admin)

    text = await page(admin, "/admin/flows")
    flow = await page(admin, "/admin/flows/bant")

    assert "bant" in text
    assert "(served)" in text
    assert "v1" in flow
    assert "imported" in flow


async def test_editing_a_prompt_in_the_form_saves_a_draft_that_is_not_live(
    admin: AppClient,
) -> None:
    csrf = await logged_in(admin)
    fields = form_of(await page(admin, "/admin/flows/bant/edit"))
    assert fields["q1.prompt.id"] == NAME_QUESTION
    fields["q1.prompt.id"] = NEW_NAME_QUESTION
    fields["csrf_token"] = csrf

    saved = await admin.post("/admin/flows/bant/edit", data=fields)
    live = await chat(admin, "p1", "m1", "Halo")
    live_name = await chat(admin, "p1", "m2", choice="yes")
    flow = await page(admin, "/admin/flows/bant")

    assert saved.status == 200
    assert "Draft saved" in await saved.text()
    assert live_name["replies"][-1]["text"] == NAME_QUESTION
    assert live["stage"] == "lead"
    assert "unpublished changes" in flow
    assert f"+    id: {NEW_NAME_QUESTION}" in flow  # the draft's diff against v1


async def test_broken_yaml_shows_the_line_and_keeps_the_published_flow(admin: AppClient) -> None:
    csrf = await logged_in(admin)
    source = BUNDLED_FLOW.read_text(encoding="utf-8")
    broken = source.replace("    retries: 1\n", "    retries: lots\n", 1)
    line = broken.splitlines().index("    retries: lots") + 1

    response = await admin.post(
        "/admin/flows/bant/edit", data={"csrf_token": csrf, "yaml": broken}
    )
    text = html.unescape(await response.text())
    editor = await page(admin, "/admin/flows/bant/edit?tab=yaml")

    assert response.status == 422
    assert f"line {line}: questions[0](consent).retries" in text
    assert "retries: lots" in text  # the admin's text is kept in the editor to fix
    assert "retries: lots" not in editor
    assert "No draft yet" in editor


async def test_simulate_publish_and_roll_back_from_the_pages(admin: AppClient) -> None:
    csrf = await logged_in(admin)
    edited = BUNDLED_FLOW.read_text(encoding="utf-8").replace(NAME_QUESTION, NEW_NAME_QUESTION)
    await admin.post("/admin/flows/bant/edit", data={"csrf_token": csrf, "yaml": edited})

    simulated = await admin.post(
        "/admin/flows/bant/simulate", data={"csrf_token": csrf, "script": "Halo\n#yes\nBudi"}
    )
    published = await admin.post(
        "/admin/flows/bant/publish", data={"csrf_token": csrf, "note": "friendlier name ask"}
    )
    after_publish = await page(admin, "/admin/flows/bant")
    new_chat = await chat(admin, "p2", "m1", "Halo")
    new_name = await chat(admin, "p2", "m2", choice="yes")
    rolled = await admin.post(
        "/admin/flows/bant/rollback", data={"csrf_token": csrf, "version": "1"}
    )
    after_rollback = await page(admin, "/admin/flows/bant")
    old_name = await chat(admin, "p3", "m1", "Halo")
    old_name = await chat(admin, "p3", "m2", choice="yes")
    diff = await page(admin, "/admin/flows/bant/diff?from=2&to=3")

    transcript = html.unescape(await simulated.text())
    assert simulated.status == 200
    assert NEW_NAME_QUESTION in transcript
    assert "stage lead · score" in transcript
    assert "name: Budi" in transcript
    assert published.status == 200  # followed to the flow's page
    assert "v2" in after_publish
    assert "friendlier name ask" in after_publish
    assert new_chat["stage"] == "lead"
    assert new_name["replies"][-1]["text"] == NEW_NAME_QUESTION
    assert rolled.status == 200
    assert "rollback to v1" in after_rollback
    assert old_name["replies"][-1]["text"] == NAME_QUESTION
    assert f"-      id: {NEW_NAME_QUESTION}" in diff
    assert f"+      id: {NAME_QUESTION}" in diff


async def test_dashboard_shows_the_funnel_by_source_and_exports_csv(admin: AppClient) -> None:
    await logged_in(admin)
    await reach_sql(admin, "sql-lead")
    response = await admin.post(
        "/api/chat",
        json={"session": "ad", "message_id": "a1", "text": "Halo", "source": "utm:google/cpc"},
    )
    assert response.status == 200

    dashboard = await page(admin, "/admin/dashboard")
    filtered = await page(admin, "/admin/dashboard?source=utm:google/cpc")
    csv_response = await admin.get("/admin/dashboard.csv?source=utm:google/cpc")
    bad = await admin.get("/admin/dashboard?from=yesterday")

    assert "Leads2" in dashboard.replace("<strong>", "").replace("\n", "")
    assert "<svg" in dashboard
    assert "utm:google/cpc" in dashboard
    assert "consent" in dashboard  # drop-off per question
    assert "Leads1" in filtered.replace("<strong>", "")
    assert csv_response.status == 200
    assert csv_response.headers["Content-Type"].startswith("text/csv")
    rows = (await csv_response.text()).splitlines()
    assert rows[0] == "group,key,leads,mql,sql,accepted,won"
    assert rows[1] == "all,all,1,0,0,0,0"
    assert bad.status == 400


async def test_a_bad_form_value_is_shown_at_its_question(admin: AppClient) -> None:
    csrf = await logged_in(admin)
    fields = form_of(await page(admin, "/admin/flows/bant/edit"))
    fields["q0.retries"] = "lots"
    fields["csrf_token"] = csrf

    response = await admin.post("/admin/flows/bant/edit", data=fields)

    text = html.unescape(await response.text())
    consent = text[text.index('id="question-consent"') : text.index('id="question-name"')]
    assert response.status == 422
    assert 'class="invalid"' in text
    assert "questions[0](consent).retries" in consent
    assert "line " in consent
