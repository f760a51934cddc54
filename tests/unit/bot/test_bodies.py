"""Request bodies: capped per endpoint, read with a deadline, held in memory within a budget.

Raw sockets, because a well-behaved client cannot send a body that stalls halfway.
"""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.whatsapp import WaEvent
from bot.channels.whatsapp_web import whatsapp_routes
from bot.web import BodyBudget, errors_middleware, read_body

MakeServer = Callable[[web.Application], Awaitable[TestServer]]


async def status_of(server: TestServer, head: bytes, body: bytes = b"") -> int:
    """Send a request's head and (part of) its body; the status line's code."""
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(head + body)
    await writer.drain()
    line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    return int(line.split()[1])


def head(path: str, length: int, *, signed: bool = True) -> bytes:
    signature = "X-Hub-Signature-256: sha256=00\r\n" if signed else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"{signature}Content-Length: {length}\r\n\r\n"
    ).encode()


async def test_a_body_that_stalls_halfway_gets_a_408(aiohttp_server: MakeServer) -> None:
    async def slow(request: web.Request) -> web.Response:
        await read_body(request, 1024, within=timedelta(seconds=0.3))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/", slow)
    server = await aiohttp_server(app)

    status = await status_of(server, head("/", 1000), b'{"a": 1')

    assert status == 408


async def whatsapp_server(aiohttp_server: MakeServer, budget: BodyBudget) -> TestServer:
    async def handle(events: list[WaEvent]) -> None:
        return None

    app = web.Application(middlewares=[errors_middleware])
    whatsapp_routes(
        app.router, verify_token="v", app_secret="secret", handle=handle, budget=budget
    )
    return await aiohttp_server(app)


async def test_a_body_declared_past_the_cap_is_refused_before_it_is_read(
    aiohttp_server: MakeServer,
) -> None:
    server = await whatsapp_server(aiohttp_server, BodyBudget(32 * 1024 * 1024))

    status = await status_of(server, head("/webhooks/whatsapp", 4 * 1024 * 1024))

    assert status == 413


async def test_unsigned_bodies_past_the_memory_budget_get_a_503(
    aiohttp_server: MakeServer,
) -> None:
    budget = BodyBudget(1024 * 1024)
    server = await whatsapp_server(aiohttp_server, budget)
    _, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(head("/webhooks/whatsapp", 3_000_000) + b"x" * 900_000)  # then it stalls
    await writer.drain()
    for _ in range(100):
        if budget.used >= 900_000:
            break
        await asyncio.sleep(0.01)

    second = await status_of(server, head("/webhooks/whatsapp", 900_000), b"x" * 900_000)

    writer.close()
    assert second == 503
    assert budget.used <= 1024 * 1024


async def test_a_webhook_without_a_signature_is_refused_before_its_body_is_read(
    aiohttp_server: MakeServer,
) -> None:
    budget = BodyBudget(32 * 1024 * 1024)
    server = await whatsapp_server(aiohttp_server, budget)

    status = await status_of(server, head("/webhooks/whatsapp", 900_000, signed=False))

    assert status == 401
    assert budget.used == 0
