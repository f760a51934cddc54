"""The web chat page as served: the company's name from the settings, as text."""

from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web

from bot.app import build_app
from bot.config import Settings, WebChatConfig
from tests.e2e.conftest import AppClient


async def test_the_page_is_titled_chat_by_default(client: AppClient) -> None:
    response = await client.get("/")

    page = await response.text()
    assert "<title>Chat</title>" in page
    assert "{{" not in page


async def test_the_company_name_is_escaped_into_header_and_title(
    aiohttp_client: Callable[[web.Application], Awaitable[AppClient]], settings: Settings
) -> None:
    name = 'Maju <script>alert("x")</script> & Co'
    app = build_app(settings.model_copy(update={"webchat": WebChatConfig(company_name=name)}))
    client = await aiohttp_client(app)

    page = await (await client.get("/")).text()

    escaped = "Maju &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co"
    assert f"<title>{escaped}</title>" in page
    assert page.count(escaped) == 2  # the title and the header
    assert "<script>alert" not in page


def test_the_company_name_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUALIBOT_WEBCHAT__COMPANY_NAME", "  PT Maju Jaya ")

    assert Settings().webchat.company_name == "PT Maju Jaya"
