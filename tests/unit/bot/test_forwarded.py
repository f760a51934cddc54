"""X-Forwarded-* headers: believed from the configured proxies only."""

from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.web import forwarded_middleware

AppClient = TestClient[web.Request, web.Application]
MakeClient = Callable[[web.Application], Awaitable[AppClient]]
PROXY_HEADERS = {
    "X-Forwarded-For": "203.0.113.9, 198.51.100.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "bot.example.com",
}


async def seen(aiohttp_client: MakeClient, allow: list[str]) -> dict[str, object]:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response(
            {"remote": request.remote, "secure": request.secure, "host": request.host}
        )

    app = web.Application(middlewares=[forwarded_middleware(allow)])
    app.router.add_get("/", echo)
    client = await aiohttp_client(app)
    body: dict[str, object] = await (await client.get("/", headers=PROXY_HEADERS)).json()
    return body


@pytest.mark.parametrize("allow", [["127.0.0.1"], ["127.0.0.0/8"], ["*"]])
async def test_a_trusted_proxy_names_the_client_and_the_scheme(
    aiohttp_client: MakeClient, allow: list[str]
) -> None:
    body = await seen(aiohttp_client, allow)

    # the last X-Forwarded-For entry is what the proxy itself saw
    assert body == {"remote": "198.51.100.7", "secure": True, "host": "bot.example.com"}


@pytest.mark.parametrize("allow", [[], ["10.0.0.0/8"]])
async def test_headers_from_anyone_else_are_ignored(
    aiohttp_client: MakeClient, allow: list[str]
) -> None:
    body = await seen(aiohttp_client, allow)

    assert body["remote"] == "127.0.0.1"
    assert body["secure"] is False
