"""The flow studio and the admin in a real browser (Debian's chromium driven by Playwright)
against the real app on a listening port: edit a prompt, see a validation error, simulate,
publish, roll back, open the dashboard; and the admin fits a phone."""

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect

from bot.app import build_app
from bot.config import Settings
from tests.e2e.test_admin import TO_SQL

PASSWORD = "s3cret"
NAME_QUESTION = "Terima kasih! Dengan siapa saya berbicara?"
NEW_NAME_QUESTION = "Terima kasih! Siapa nama lengkap Anda?"
MakeServer = Callable[[web.Application], Awaitable[TestServer]]


@pytest.fixture
async def server(aiohttp_server: MakeServer, tmp_path: Path) -> TestServer:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/b.db", admin_password=PASSWORD
    )
    return await aiohttp_server(build_app(settings))


async def admin_page(browser: Browser, server: TestServer, width: int = 1280) -> Page:
    """A logged-in admin's browser tab at the inbox."""
    context = await browser.new_context(viewport={"width": width, "height": 800})
    page = await context.new_page()
    await page.goto(str(server.make_url("/admin")))
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    return page


async def test_edit_validate_simulate_publish_roll_back_and_dashboard(
    browser: Browser, server: TestServer
) -> None:
    page = await admin_page(browser, server)

    await page.get_by_role("link", name="Flows").click()
    await page.get_by_role("link", name="bant").click()
    await page.get_by_role("link", name="Edit draft").click()
    prompt = page.locator('textarea[name="q1.prompt.id"]')
    await expect(prompt).to_have_value(NAME_QUESTION)
    await prompt.fill(NEW_NAME_QUESTION)
    await page.locator("#tab-form").get_by_role("button", name="Save draft").click()
    await expect(page.get_by_role("status")).to_contain_text("Draft saved")

    await page.get_by_role("tab", name="YAML").click()
    yaml_box = page.get_by_label("The whole flow")
    await expect(yaml_box).to_be_visible()
    await expect(page.locator("#tab-form")).to_be_hidden()
    source = await yaml_box.input_value()
    await yaml_box.fill(source.replace("retries: 1", "retries: lots", 1))
    await page.locator("#tab-yaml").get_by_role("button", name="Save draft").click()
    await expect(page.get_by_role("alert")).to_contain_text("questions[0](consent).retries")
    await expect(page.get_by_role("alert")).to_contain_text("line ")

    await page.goto(str(server.make_url("/admin/flows/bant/simulate")))
    await page.get_by_label("Prospect's messages").fill("Halo\n#yes")
    await page.get_by_role("button", name="Run").click()
    await expect(page.locator("#simulation")).to_contain_text(NEW_NAME_QUESTION)
    await expect(page.locator("#simulation")).to_contain_text("stage lead")

    await page.get_by_role("link", name="← Flow bant").click()
    await page.get_by_label("Note for this version").fill("ask for the full name")
    await page.get_by_role("button", name="Publish draft").click()
    await expect(page.locator("#published-version")).to_have_text("v2")
    await expect(page.get_by_text("ask for the full name")).to_be_visible()

    await page.get_by_role("button", name="Roll back to v1").click()
    await expect(page.locator("#published-version")).to_have_text("v3")
    await expect(page.get_by_text("rollback to v1")).to_be_visible()

    await page.get_by_role("link", name="Dashboard").click()
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await expect(page.locator("#kpis")).to_contain_text("Lead → MQL")
    await expect(page.locator("svg.chart").first).to_be_visible()


async def test_the_admin_and_the_studio_fit_a_phone(browser: Browser, server: TestServer) -> None:
    page = await admin_page(browser, server, width=390)
    for n, (text, choice) in enumerate(TO_SQL):
        response = await page.request.post(
            str(server.make_url("/api/chat")),
            data={"session": "phone", "message_id": f"p{n}", "text": text, "choice": choice},
        )
        assert response.ok

    await page.goto(str(server.make_url("/admin/handoffs")))

    await expect(page.get_by_role("button", name="Accept")).to_be_in_viewport()
    widths = {"/admin/handoffs": await page.evaluate("document.documentElement.scrollWidth")}
    for path in ("/admin", "/admin/flows/bant", "/admin/flows/bant/edit", "/admin/dashboard"):
        await page.goto(str(server.make_url(path)))
        widths[path] = await page.evaluate("document.documentElement.scrollWidth")
    assert all(width <= 390 for width in widths.values()), widths


async def test_the_lead_transcript_updates_live(browser: Browser, server: TestServer) -> None:
    page = await admin_page(browser, server)
    chat_url = str(server.make_url("/api/chat"))
    await page.request.post(chat_url, data={"session": "live", "message_id": "l1", "text": "Halo"})
    await page.reload()
    await page.get_by_role("link", name="unknown").first.click()
    await expect(page.locator("#transcript")).to_contain_text("Halo")

    await page.request.post(chat_url, data={"session": "live", "message_id": "l2", "text": "ya"})

    await expect(page.locator("#transcript")).to_contain_text(NAME_QUESTION, timeout=12_000)


async def test_the_web_chat_pages_utm_parameters_become_the_leads_source(
    browser: Browser, server: TestServer
) -> None:
    context = await browser.new_context(locale="id-ID")
    chat_page = await context.new_page()
    await chat_page.goto(
        str(server.make_url("/?utm_source=google&utm_medium=cpc&utm_campaign=launch"))
    )
    await expect(chat_page.locator(".msg.bot").first).to_contain_text("Halo! 👋")
    page = await admin_page(browser, server)

    await page.get_by_role("link", name="Dashboard").click()

    await expect(page.locator('select[name="source"]')).to_contain_text("utm:google/cpc/launch")
    per_source = page.get_by_role("img", name="Leads per source")
    await expect(per_source).to_contain_text("utm:google/cpc/launch")


async def test_an_admin_accepts_for_an_sdr_on_a_phone(
    browser: Browser, server: TestServer
) -> None:
    page = await admin_page(browser, server, width=390)
    await page.goto(str(server.make_url("/admin/sdrs")))
    await page.get_by_label("Name").fill("Sari")
    await page.get_by_label("Telegram chat id").fill("777")
    await page.get_by_role("button", name="Add SDR").click()
    for n, (text, choice) in enumerate(TO_SQL):
        response = await page.request.post(
            str(server.make_url("/api/chat")),
            data={"session": "sari", "message_id": f"s{n}", "text": text, "choice": choice},
        )
        assert response.ok
    await page.goto(str(server.make_url("/admin/handoffs")))
    await page.get_by_role("link", name="Budi").first.click()

    await page.get_by_label("Accepted by SDR").select_option(label="Sari")
    await page.get_by_role("button", name="Accept").click()

    await expect(page.locator("#handoff-status")).to_have_text("accepted")
    await expect(page.locator("dd", has_text="Sari").first).to_be_visible()
    lead_width = await page.evaluate("document.documentElement.scrollWidth")
    await page.goto(str(server.make_url("/admin/sdrs")))
    sdrs_width = await page.evaluate("document.documentElement.scrollWidth")
    assert lead_width <= 390
    assert sdrs_width <= 390
