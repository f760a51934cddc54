"""The composition root: build_app(settings) wires storage, the pipeline, channels and admin."""

import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import aiohttp
from aiohttp import web

from bot.committer import GroupCommitter
from bot.config import Settings
from bot.pipeline import Pipeline
from bot.web import errors_middleware
from dialogs import Flow, load_flow
from storage.database import Database
from storage.migrate import upgrade_database

logger = logging.getLogger(__name__)

DB = web.AppKey("db", Database)
COMMITTER = web.AppKey("committer", GroupCommitter)
PIPELINE = web.AppKey("pipeline", Pipeline)
HTTP = web.AppKey("http", aiohttp.ClientSession)
SETTINGS = web.AppKey("settings", Settings)
FLOW = web.AppKey("flow", Flow)


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_app(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> web.Application:
    """The whole service as one aiohttp application; nothing starts until it runs."""
    from bot.channels.webchat import webchat_routes

    flow = load_flow(settings.flow) if settings.flow else load_flow()
    app = web.Application(middlewares=[errors_middleware], client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    app[FLOW] = flow

    async def storage_ctx(app: web.Application) -> AsyncIterator[None]:
        db = Database.from_url(settings.database_url)
        await upgrade_database(db)
        committer = GroupCommitter(db)
        await committer.start()
        app[DB], app[COMMITTER] = db, committer
        app[PIPELINE] = Pipeline(db, committer, flow, clock=clock, base_url=settings.base_url)
        yield
        await committer.stop()
        await db.dispose()

    async def http_ctx(app: web.Application) -> AsyncIterator[None]:
        # One client session for every outbound call (Telegram, Graph API), with a timeout.
        timeout = aiohttp.ClientTimeout(total=30, connect=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            app[HTTP] = session
            yield

    app.cleanup_ctx.extend([storage_ctx, http_ctx])

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"ok": True, "flow": f"{flow.id} v{flow.version}"})

    app.router.add_get("/healthz", healthz)
    webchat_routes(app, PIPELINE)
    return app
