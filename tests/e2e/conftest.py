"""E2E fixtures: the real app (build_app) on a SQLite file (or PostgreSQL), over HTTP."""

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from playwright.async_api import Browser, async_playwright

from bot.app import build_app
from bot.config import Settings
from tests.postgres import create_database, drop_database, in_ci

AppClient = TestClient[web.Request, web.Application]
MakeClient = Callable[..., Awaitable[AppClient]]
CHROMIUM = Path("/usr/bin/chromium")  # Debian's; Playwright cannot download its own here


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/qualibot.db",
        admin_password="s3cret",
        public_url="https://bot.example.com",
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Each backend's URL: a SQLite file, and a new PostgreSQL database of its own."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/qualibot.db"
        return
    url = await create_database()
    try:
        yield url
    finally:
        await drop_database(url)


@pytest.fixture
def chromium() -> Path:
    """The browser; without it a skip, except in CI (CI=true), where .ci/run installs it."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)"
        if in_ci():
            pytest.fail(f"{reason}: the browser tests must run in CI (CI=true)")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(chromium))
        yield launched
        await launched.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def any_settings(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Settings]:
    """Settings on each backend: a SQLite file, and a new PostgreSQL database of its own."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/qualibot.db"
    else:
        url = await create_database()
    try:
        yield Settings(
            database_url=url, admin_password="s3cret", public_url="https://bot.example.com"
        )
    finally:
        if request.param == "postgresql":
            await drop_database(url)


@pytest.fixture
async def any_client(
    aiohttp_client: Callable[[web.Application], Awaitable[AppClient]], any_settings: Settings
) -> AppClient:
    """The app over HTTP on each backend."""
    return await aiohttp_client(build_app(any_settings))


@pytest.fixture
async def client(
    aiohttp_client: Callable[[web.Application], Awaitable[AppClient]], settings: Settings
) -> AppClient:
    return await aiohttp_client(build_app(settings))


async def chat(
    client: AppClient,
    session: str,
    message_id: str,
    text: str = "",
    choice: str | None = None,
) -> dict[str, Any]:
    """POST one web chat message; the JSON answer."""
    response = await client.post(
        "/api/chat",
        json={"session": session, "message_id": message_id, "text": text, "choice": choice},
    )
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body
