"""The web chat page in a real browser (Debian's chromium driven by Playwright) against the
real app on a listening port: what a prospect sees and can do."""

import asyncio
import json
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Locator, Page, Route, expect

from bot.app import build_app
from bot.config import Settings, WebChatConfig

GREETING = "Halo! 👋 Saya asisten virtual"
NAME_QUESTION = "Terima kasih! Dengan siapa saya berbicara?"
COMPANY_QUESTION = "Dari perusahaan mana?"
MakeServer = Callable[[web.Application], Awaitable[TestServer]]
OpenChat = Callable[..., Awaitable[Page]]
RouteHandler = Callable[[Route], Awaitable[None]]


@pytest.fixture
def open_chat(browser: Browser, aiohttp_server: MakeServer, settings: Settings) -> OpenChat:
    """Serve the app (with `company` as its name) and open its page in a new browser;
    `api` sees every POST /api/chat from the start."""

    async def go(
        *,
        company: str = "Chat",
        locale: str = "id-ID",
        width: int = 1280,
        height: int = 720,
        api: RouteHandler | None = None,
    ) -> Page:
        app = build_app(
            settings.model_copy(update={"webchat": WebChatConfig(company_name=company)})
        )
        server = await aiohttp_server(app)
        context = await browser.new_context(
            locale=locale, viewport={"width": width, "height": height}
        )
        page = await context.new_page()
        if api is not None:
            await page.route("**/api/chat", api)
        await page.goto(str(server.make_url("/")))
        return page

    return go


@pytest.fixture
async def page(open_chat: OpenChat) -> Page:
    """The page as an Indonesian prospect opens it: the first question shown."""
    opened = await open_chat()
    await expect(bot_said(opened).first).to_contain_text(GREETING)
    return opened


def bot_said(page: Page) -> Locator:
    return page.locator(".msg.bot")


def row(page: Page, n: int) -> Locator:
    """The buttons of the n-th question that had buttons."""
    return page.locator(".choices").nth(n).get_by_role("button")


async def type_answer(page: Page, text: str) -> None:
    await page.get_by_role("textbox").fill(text)
    await page.get_by_role("textbox").press("Enter")


async def all_disabled(buttons: Locator) -> None:
    assert await buttons.count() > 0
    for button in await buttons.all():
        await expect(button).to_be_disabled()


async def test_the_first_question_appears_with_its_buttons(page: Page) -> None:
    await expect(page.locator(".msg.me")).to_have_text(["Halo"])
    await expect(row(page, 0)).to_have_text(["Ya", "Tidak"])
    for button in await row(page, 0).all():
        await expect(button).to_be_enabled()
    await expect(page.get_by_role("textbox")).to_have_attribute("placeholder", "Ketik pesan…")
    await expect(page.get_by_role("button", name="Kirim")).to_be_enabled()


async def test_clicking_a_button_sends_it_and_disables_its_row(page: Page) -> None:
    await page.get_by_role("button", name="Ya").click()

    await expect(page.locator(".msg.me")).to_have_text(["Halo", "Ya"])
    await expect(bot_said(page).last).to_have_text(NAME_QUESTION)
    await all_disabled(row(page, 0))


async def test_typing_an_answer_disables_the_buttons_of_the_question(page: Page) -> None:
    await type_answer(page, "ya, boleh")

    await expect(bot_said(page).last).to_have_text(NAME_QUESTION)
    await all_disabled(row(page, 0))


async def test_a_reload_shows_the_same_conversation(page: Page) -> None:
    await page.reload()

    # the open question keeps its buttons, and no second "Halo" was sent
    await expect(page.locator(".msg")).to_have_count(2)
    await page.get_by_role("button", name="Ya").click()
    await expect(bot_said(page).last).to_have_text(NAME_QUESTION)
    await type_answer(page, "Budi Santoso")
    await expect(bot_said(page).last).to_contain_text(COMPANY_QUESTION)
    before = await page.locator(".msg").all_inner_texts()

    await page.reload()

    await expect(page.locator(".msg")).to_have_text(before)
    assert before[:3] == ["Halo", before[1], "Ya"]
    await all_disabled(row(page, 0))


async def test_a_lost_answer_shows_an_error_and_retry_sends_the_same_message(
    open_chat: OpenChat,
) -> None:
    sent: list[str] = []

    async def lose_the_first_answer(route: Route) -> None:
        sent.append(json.loads(route.request.post_data or "{}")["message_id"])
        if len(sent) == 1:
            await route.fetch()  # the server gets the message; its answer never arrives
            await route.abort("connectionreset")
        else:
            await route.continue_()

    page = await open_chat(api=lose_the_first_answer)

    await expect(page.get_by_role("alert")).to_contain_text("Tidak dapat terhubung ke server.")
    await page.get_by_role("button", name="Coba lagi").click()

    await expect(bot_said(page)).to_have_count(1)
    await expect(bot_said(page).first).to_contain_text(GREETING)
    await expect(page.get_by_role("alert")).to_have_count(0)
    assert len(sent) == 2
    assert sent[0] == sent[1]
    await expect(page.locator(".msg.me")).to_have_text(["Halo"])


async def test_a_server_error_shows_retry_and_the_input_shows_sending(page: Page) -> None:
    release = asyncio.Event()
    failed_once: list[bool] = []

    async def fail_then_hold(route: Route) -> None:
        if not failed_once:
            failed_once.append(True)
            await route.fulfill(status=503, body="upstream unavailable")
            return
        await release.wait()
        await route.continue_()

    await page.route("**/api/chat", fail_then_hold)
    await page.get_by_role("button", name="Ya").click()

    await expect(page.get_by_role("alert")).to_contain_text("Server sedang bermasalah.")
    await expect(page.get_by_role("button", name="Kirim")).to_be_disabled()
    await page.get_by_role("button", name="Coba lagi").click()
    await expect(page.get_by_role("textbox")).to_have_attribute("placeholder", "Mengirim…")
    await expect(page.get_by_role("button", name="Kirim")).to_be_disabled()
    release.set()

    await expect(bot_said(page).last).to_have_text(NAME_QUESTION)
    await expect(page.get_by_role("textbox")).to_have_attribute("placeholder", "Ketik pesan…")
    await expect(page.get_by_role("button", name="Kirim")).to_be_enabled()
    await expect(page.locator(".msg.me")).to_have_text(["Halo", "Ya"])


async def test_the_header_and_title_show_the_company_name(open_chat: OpenChat) -> None:
    page = await open_chat(company="PT Maju <Jaya> & Co")

    await expect(page.locator("header")).to_have_text("PT Maju <Jaya> & Co")
    await expect(page).to_have_title("PT Maju <Jaya> & Co")


async def test_an_english_browser_gets_english_texts(open_chat: OpenChat) -> None:
    page = await open_chat(locale="en-US")

    await expect(page.locator(".msg.me")).to_have_text(["Hello"])
    await expect(bot_said(page).first).to_contain_text("Hi! 👋")
    await expect(page.get_by_role("textbox")).to_have_attribute("placeholder", "Type a message…")
    await expect(page.get_by_role("button", name="Send")).to_be_visible()


async def test_the_page_follows_the_conversation_into_english(page: Page) -> None:
    await type_answer(page, "English please")

    await expect(page.get_by_role("textbox")).to_have_attribute("placeholder", "Type a message…")
    await expect(page.get_by_role("button", name="Send")).to_be_visible()
    await expect(page.locator("html")).to_have_attribute("lang", "en")


async def test_text_is_shown_as_text_never_markup(page: Page) -> None:
    typed = "<img src=x onerror=\"document.title='owned'\"><b>Budi</b> &amp;"

    await type_answer(page, typed)

    await expect(page.locator(".msg.me").last).to_have_text(typed)
    await expect(bot_said(page)).to_have_count(2)
    await expect(page.locator("#log img, #log b")).to_have_count(0)
    await expect(page).to_have_title("Chat")


async def test_the_page_fits_a_phone(open_chat: OpenChat) -> None:
    page = await open_chat(width=390, height=844)
    await expect(bot_said(page).first).to_contain_text(GREETING)

    await type_answer(page, "https://example.com/" + "sangatpanjang" * 30)
    await expect(bot_said(page)).to_have_count(2)

    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    # every bubble and button row is whole on screen, its text wrapped inside it
    boxes = await page.locator("#log > *").evaluate_all(
        "all => all.map(e => [e.getBoundingClientRect().right, e.scrollWidth - e.clientWidth])"
    )
    assert all(right <= 390 and overflow <= 0 for right, overflow in boxes), boxes
    for control in (page.get_by_role("textbox"), page.get_by_role("button", name="Kirim")):
        await expect(control).to_be_in_viewport()
        box = await control.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
        assert box["y"] + box["height"] <= 844
