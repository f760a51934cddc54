"""The composition root: build_app(settings) wires storage, the pipeline, channels and admin."""

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import aiohttp
from aiohttp import web

from bot.channels.telegram_app import setup_telegram
from bot.channels.webchat import webchat_routes
from bot.channels.whatsapp_app import setup_whatsapp
from bot.config import Settings
from bot.crm_webhooks import HttpPoster
from bot.flow_registry import FlowRegistry
from bot.pipeline import Pipeline
from bot.scheduler import run_scheduler
from bot.services import Services
from bot.studio import FlowStudio
from bot.web import errors_middleware, forwarded_middleware
from dialogs import BUNDLED_FLOW, Flow, Sender, load_flow
from handoff.crm import CrmEvents
from handoff.delivery import Background
from handoff.jobs import SlaSetup, escalation_targets
from handoff.notifiers import Notifier
from handoff.outbox import OutboxWorker
from handoff.sdr_directory import SdrDirectory
from storage.database import Database
from storage.migrate import upgrade_database
from storage.writer import Writer

logger = logging.getLogger(__name__)

DB = web.AppKey("db", Database)
WRITER = web.AppKey("writer", Writer)
PIPELINE = web.AppKey("pipeline", Pipeline)
HTTP = web.AppKey("http", aiohttp.ClientSession)
SETTINGS = web.AppKey("settings", Settings)
FLOW = web.AppKey("flow", Flow)  # the flow file's; the database's versions are in FLOWS
FLOWS = web.AppKey("flows", FlowRegistry)
STUDIO = web.AppKey("studio", FlowStudio)
WORKER = web.AppKey("worker", OutboxWorker)
# Filled by the channel set-up in http_ctx: channel name -> notifier / sender.
NOTIFIERS = web.AppKey("notifiers", dict[str, Notifier])
SENDERS = web.AppKey("senders", dict[str, Sender])
NOTE_SENDERS = web.AppKey("note_senders", dict[str, Sender])  # notes to SDR chats
BACKGROUND = web.AppKey("background", Background)
SDRS = web.AppKey("sdrs", SdrDirectory)
CRM = web.AppKey("crm", CrmEvents)
CLOCK: web.AppKey[Callable[[], datetime]] = web.AppKey("clock")
# The same objects as above, as the channels and the web chat are given them.
SERVICES = web.AppKey("services", Services)
Lifecycle = Callable[[web.Application], AsyncIterator[None]]


def group_targets(settings: Settings) -> list[tuple[str, str]]:
    """Sales group chats and numbers that get handoffs when no SDR is set up."""
    targets: list[tuple[str, str]] = []
    if settings.telegram is not None:
        targets += [("telegram", chat) for chat in settings.telegram.sdr_chat_ids]
    if settings.whatsapp is not None:
        targets += [("whatsapp", number) for number in settings.whatsapp.sdr_numbers]
    return targets


def outbox_channels(settings: Settings) -> list[str]:
    """Channels whose replies leave after the webhook's answer, from the outbox."""
    channels: list[str] = []
    if settings.telegram is not None:
        channels.append("telegram")
    if settings.whatsapp is not None:
        channels.append("whatsapp")
    return channels


def sla_setup(settings: Settings, crm: CrmEvents, flow: Flow | None = None) -> SlaSetup:
    """The SLA jobs' configuration (serve and `qualibot jobs run-due` share it)."""
    from handoff.sla import SlaPolicy

    return SlaSetup(
        policy=SlaPolicy(
            accept=timedelta(minutes=settings.sla.accept_minutes),
            first_contact=timedelta(hours=settings.sla.first_contact_hours),
        ),
        # every channel an SDR may read: `jobs run-due` may run without the channels'
        # settings; the serving process delivers (and gives up on a channel it lacks)
        channels=frozenset({"telegram", "whatsapp"}),
        escalation=escalation_targets(settings.sla.escalation_chat_ids),
        crm=crm,
        retention_days=settings.retention.days,
        flow=flow,
    )


def crm_events(settings: Settings) -> CrmEvents:
    return CrmEvents(urls=tuple(settings.webhooks.url))


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    tune_gc: bool = False,
) -> web.Application:
    """The whole service as one aiohttp application; nothing starts until it runs.

    `tune_gc` freezes start-up objects and raises the young-generation threshold once the
    app has started (`qualibot serve` sets it; tests leave the interpreter alone).
    """
    from bot.admin.api import admin_api_routes
    from bot.admin.routes import admin_routes

    flow_file = settings.flow or BUNDLED_FLOW
    flow = load_flow(flow_file)
    app = web.Application(
        middlewares=[forwarded_middleware(settings.forwarded_allow_ips), errors_middleware],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[FLOW] = flow
    services = Services(clock=clock, crm=crm_events(settings))
    app[SERVICES] = services

    async def storage_ctx(app: web.Application) -> AsyncIterator[None]:
        db = Database.from_url(settings.database_url)
        await upgrade_database(db)
        writer = Writer(db)
        await writer.start()
        services.db, services.writer = db, writer
        app[DB], app[WRITER] = db, writer
        app[PIPELINE] = services.pipeline = Pipeline(
            db,
            writer,
            flow,
            clock=clock,
            base_url=settings.base_url,
            outbox_channels=outbox_channels(settings),
            handoff_grace=timedelta(seconds=settings.handoff_grace_seconds),
            crm=app[CRM],
        )
        registry = FlowRegistry(db, flow, flow_file.read_text(encoding="utf-8"), clock)
        await registry.start()
        registry.subscribe(app[PIPELINE].use_flow)
        app[FLOWS] = registry
        app[STUDIO] = FlowStudio(db, writer, registry, clock)
        watching = asyncio.create_task(
            registry.watch(settings.flow_check_seconds), name="flow-watch"
        )
        app[SDRS] = services.sdrs = SdrDirectory(
            db,
            clock=clock,
            telegram=settings.telegram.sdr_chat_ids if settings.telegram else (),
            whatsapp=settings.whatsapp.sdr_numbers if settings.whatsapp else (),
        )
        yield
        watching.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watching
        await app[BACKGROUND].drain()
        await writer.stop()
        await db.dispose()

    async def http_ctx(app: web.Application) -> AsyncIterator[None]:
        # One client session for every outbound call (Telegram, Graph API), with a timeout.
        timeout = aiohttp.ClientTimeout(total=30, connect=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            app[HTTP] = services.http = session
            yield

    async def worker_ctx(app: web.Application) -> AsyncIterator[None]:
        notifiers: dict[str, Notifier] = app[NOTIFIERS]
        senders: dict[str, Sender] = app[SENDERS]
        worker = OutboxWorker(
            app[WRITER].run,
            notifiers=notifiers,
            senders=senders,
            note_senders=app[NOTE_SENDERS],
            group_targets=group_targets(settings),
            clock=clock,
            lease=timedelta(seconds=settings.outbox_lease_seconds),
            poster=HttpPoster(app[HTTP]),
            webhook_secret=settings.webhooks.secret.get_secret_value(),
        )
        app[PIPELINE].on_handoff = worker.wake.set
        app[PIPELINE].route_handoffs = bool(notifiers)
        if tune_gc:  # process-wide settings: only for the process that serves
            # Everything built so far (flow, compiled patterns, tables) lives as long as the
            # process: keep it out of the collector's way, so full collections stay short and
            # do not land in p99 (PERF.md: a full collection with many objects costs tens of ms).
            gc.freeze()
            # A turn allocates a few hundred short-lived containers (models, dicts, rows), nearly
            # all freed by reference counting: at the default 700 the collector ran a young
            # collection every couple of messages (~5% of the CPU of a turn in the pipeline bench,
            # 28 -> 11 µs per message with 10,000). Older generations keep their default ratios.
            gc.set_threshold(10_000, 10, 10)
        app[WORKER] = services.worker = worker
        tasks = [
            asyncio.create_task(worker.run_forever(), name="outbox-worker"),
            asyncio.create_task(
                run_scheduler(
                    app[DB],
                    app[PIPELINE],
                    clock,
                    run=app[WRITER].run,
                    setup=sla_setup(settings, app[CRM], flow),
                    wake=worker.wake.set,
                    every=timedelta(seconds=settings.sla.every_seconds),
                ),
                name="scheduler",
            ),
        ]
        yield
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await worker.stop()  # sends in flight finish while the channels' sessions are open

    app[NOTIFIERS] = services.notifiers
    app[SENDERS] = services.senders
    app[NOTE_SENDERS] = services.note_senders
    app[BACKGROUND] = services.background
    app[CLOCK] = clock
    app[CRM] = services.crm
    # Channels start after the HTTP session and stop before it; the worker starts last, once
    # every channel has put its sender and notifier in place.
    channels: list[Lifecycle] = []
    if settings.telegram is not None:
        channels.append(setup_telegram(app, settings.telegram, services))
    if settings.whatsapp is not None:
        channels.append(setup_whatsapp(app, settings.whatsapp, services))
    app.cleanup_ctx.extend([storage_ctx, http_ctx, *channels, worker_ctx])

    async def healthz(_: web.Request) -> web.Response:
        live = app[FLOWS].live if FLOWS in app else flow
        return web.json_response({"ok": True, "flow": f"{live.id} v{live.version}"})

    app.router.add_get("/healthz", healthz)
    webchat_routes(app, services, settings.webchat)
    admin_routes(app, clock=clock)
    admin_api_routes(app)
    return app
