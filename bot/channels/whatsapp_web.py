"""WhatsApp webhook routes: the GET verification handshake and the signed POST of events.

The routes verify, parse, drop duplicates and hand the events to one callback; they know
nothing of the pipeline. `whatsapp_app.setup_whatsapp` wires them like this:

    async def handle(events: list[WaEvent]) -> None: ...   # persist/enqueue, return fast
    whatsapp_routes(app.router, verify_token=..., app_secret=..., handle=handle)

Errors are raised, not answered here: ForgedRequest (401) and BadPayload (400) are mapped to
responses by the error middleware in `bot/web.py`, like every other route's.
"""

import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Final

from aiohttp import web

from bot.channels.whatsapp import (
    StatusEvent,
    WaEvent,
    WaInbound,
    parse_envelope,
    to_events,
    verify_signature,
)
from bot.dedup import RecentKeys
from bot.errors import ForgedRequest
from bot.web import BodyBudget, read_body

logger = logging.getLogger(__name__)

WEBHOOK_PATH: Final = "/webhooks/whatsapp"
SIGNATURE_HEADER: Final = "X-Hub-Signature-256"
# Meta documents payloads of up to 3 MB; a little headroom for the JSON around them.
MAX_BODY: Final = 3 * 1024 * 1024 + 64 * 1024
# What unsigned bodies may hold in memory together (read in full before the signature can be
# checked): real webhooks are a few KB, so only a flood of forged big ones ever meets it.
UNSIGNED_BUDGET: Final = 32 * 1024 * 1024
# Meta retries undelivered webhooks for up to 7 days (CHANNELS.md B3).
DEDUP_TTL: Final = timedelta(days=7, hours=1)
DEDUP_MAX: Final = 200_000

Handle = Callable[[list[WaEvent]], Awaitable[None]]


class WamidDedup(RecentKeys[str]):
    """wamids (and wamid+status) seen recently; Meta retries for days."""

    def __init__(
        self,
        *,
        ttl: timedelta = DEDUP_TTL,
        max_entries: int = DEDUP_MAX,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(ttl=ttl, max_entries=max_entries, monotonic=monotonic)


def dedup_key(event: WaEvent) -> str | None:
    """Messages by wamid; statuses by wamid and status (sent, delivered, read all count)."""
    if isinstance(event, WaInbound):
        return event.message.message_id
    if isinstance(event, StatusEvent):
        return f"{event.wamid}:{event.status}"
    return None


def whatsapp_routes(
    router: web.UrlDispatcher,
    *,
    verify_token: str,
    app_secret: str,
    handle: Handle,
    max_body: int = MAX_BODY,
    budget: BodyBudget | None = None,
    dedup: WamidDedup | None = None,
    path: str = WEBHOOK_PATH,
) -> None:
    """Add GET and POST `path` to `router`.

    `handle` receives only events not seen before and should persist or enqueue them and
    return: Meta wants the 200 fast. If it raises, the events are forgotten by the dedup so
    Meta's retry is processed.
    """
    if not verify_token or not app_secret:
        # An empty secret would make every signature (or token) forgeable.
        raise ValueError(
            "whatsapp.verify_token and whatsapp.app_secret are required: set "
            "QUALIBOT_WHATSAPP__VERIFY_TOKEN and QUALIBOT_WHATSAPP__APP_SECRET"
        )
    seen = dedup if dedup is not None else WamidDedup()
    unsigned = budget if budget is not None else BodyBudget(UNSIGNED_BUDGET)

    async def verify(request: web.Request) -> web.Response:
        query = request.query
        token = query.get("hub.verify_token", "")
        if query.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode(), verify_token.encode()
        ):
            # Echo the challenge byte for byte; it is not re-serialised as a number.
            return web.Response(text=query.get("hub.challenge", ""), content_type="text/plain")
        logger.warning("whatsapp: verification handshake refused (mode or token wrong)")
        return web.Response(status=403, text="verification refused")

    async def receive(request: web.Request) -> web.Response:
        started = time.perf_counter()
        signature = request.headers.get(SIGNATURE_HEADER)
        if signature is None:  # refused before a byte of the body is read
            raise ForgedRequest(f"whatsapp: no {SIGNATURE_HEADER} header")
        raw = await read_body(request, max_body, budget=unsigned)
        verify_signature(raw, signature, app_secret)
        events = to_events(parse_envelope(raw))
        fresh: list[WaEvent] = []
        claimed: list[str] = []
        for event in events:
            key = dedup_key(event)
            if key is None or seen.claim(key):
                fresh.append(event)
                if key is not None:
                    claimed.append(key)
        try:
            if fresh:
                await handle(fresh)
        except BaseException:
            for key in claimed:
                seen.release(key)
            raise
        logger.info(
            "whatsapp webhook: %d event(s), %d new, %.1f ms",
            len(events),
            len(fresh),
            (time.perf_counter() - started) * 1000,
        )
        return web.Response(text="ok")

    router.add_get(path, verify)
    router.add_post(path, receive)
