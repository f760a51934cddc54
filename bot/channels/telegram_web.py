"""Telegram delivery into the app: the webhook route, the long-polling runner and setWebhook.

Both ways in end at one callback, so they know nothing of the pipeline. Wiring in
`bot/app.py` is a few lines:

    async def handle(event: TelegramEvent) -> None: ...   # persist/enqueue, return fast
    telegram_routes(app.router, secret=cfg.webhook_secret, handle=handle, bot=sender.bot)
    # or, in polling mode, a cleanup_ctx task:
    run_polling(sender.bot, handle, stop_event)

Only one of the two may run (CHANNELS.md A2): `run_polling` deletes the webhook first, and
`set_webhook` makes Telegram refuse getUpdates. Errors are raised, not answered here:
ForgedRequest (403) and BadPayload (400) become responses in `bot/web.py`'s middleware.
"""

import asyncio
import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

from aiohttp import web
from telegram import Bot
from telegram.error import Conflict, TelegramError
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.channels.telegram import channel_error
from bot.channels.telegram_events import (
    Blocked,
    TelegramEvent,
    TelegramInbound,
    Unblocked,
    parse_update,
    to_event,
    update_from_dict,
)
from bot.dedup import RecentKeys
from bot.errors import BadPayload, ForgedRequest
from bot.web import read_body

logger = logging.getLogger(__name__)

WEBHOOK_PATH: Final = "/webhooks/telegram"
SECRET_HEADER: Final = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
# A 4096-character message with its entities, a quoted reply and a keyboard stays well under
# 64 KiB; anything past 256 KiB is not an update Telegram sends.
MAX_BODY: Final = 256 * 1024
# Telegram keeps undelivered updates for 24 h (CHANNELS.md A2); ids are not monotonic after a
# quiet week, so remember ids themselves, not a high-water mark.
DEDUP_TTL: Final = timedelta(hours=24, minutes=5)
DEDUP_MAX: Final = 200_000
ALLOWED_UPDATES: Final = ("message", "edited_message", "callback_query", "my_chat_member")
_SECRET_SHAPE: Final = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

Handle = Callable[[TelegramEvent], Awaitable[None]]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class SeenUpdates(RecentKeys[int]):
    """update_ids seen recently (ids are not monotonic after a quiet week: no high-water mark)."""

    def __init__(
        self,
        *,
        ttl: timedelta = DEDUP_TTL,
        max_entries: int = DEDUP_MAX,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(ttl=ttl, max_entries=max_entries, monotonic=monotonic)


def telegram_routes(
    router: web.UrlDispatcher,
    *,
    secret: str,
    handle: Handle,
    bot: Bot | None = None,
    clock: Clock = utc_now,
    max_body: int = MAX_BODY,
    seen: SeenUpdates | None = None,
    path: str = WEBHOOK_PATH,
) -> None:
    """Add POST `path`: check the secret, parse once, drop repeats, `handle`, answer 200.

    Telegram holds a chat's next update until this one got a 2xx (CHANNELS.md A5), so
    updates we do not use are acknowledged with 200, never an error. If `handle` raises, the
    id is forgotten and the error propagates (500): Telegram retries with backoff.
    """
    if not _SECRET_SHAPE.match(secret):
        raise ValueError("telegram webhook secret must be 1-256 characters of A-Z a-z 0-9 _ -")
    expected = secret.encode()
    dedup = seen if seen is not None else SeenUpdates()

    async def receive(request: web.Request) -> web.Response:
        started = time.perf_counter()
        given = request.headers.get(SECRET_HEADER)
        # Constant-time compare; nothing is read, parsed or stored before this passes.
        if given is None or not hmac.compare_digest(given.encode(), expected):
            reason = "missing" if given is None else "wrong"
            raise ForgedRequest(f"telegram: {reason} {SECRET_HEADER}", status=403)
        raw = await read_body(request, max_body)
        event = to_event(parse_update(raw, bot), received_at=clock())
        if not dedup.claim(event.update_id):
            logger.info("telegram update %d is a repeat; acknowledged", event.update_id)
            return web.Response(text="ok")
        try:
            await handle(event)
        except BaseException:
            dedup.release(event.update_id)
            raise
        logger.info(
            "telegram update %d is %s in %.1f ms",
            event.update_id,
            describe(event),
            (time.perf_counter() - started) * 1000,
        )
        return web.Response(text="ok")

    router.add_post(path, receive)


def describe(event: TelegramEvent) -> str:
    """A short log word for an event (no personal data)."""
    if isinstance(event, TelegramInbound):
        m = event.message
        kind = m.command or ("choice" if m.choice_id else None) or m.unsupported
        return f"inbound ({kind or 'text'})"
    if isinstance(event, Blocked):
        return "blocked"
    if isinstance(event, Unblocked):
        return "unblocked"
    return f"ignored ({event.reason})"


# --- setWebhook -----------------------------------------------------------------------------


async def set_webhook(
    bot: Bot,
    url: str,
    secret: str,
    *,
    allowed_updates: Sequence[str] = ALLOWED_UPDATES,
    drop_pending_updates: bool = False,
    max_connections: int = 40,
) -> None:
    """Register `url` with the secret header; for `qualibot telegram set-webhook URL`.

    `allowed_updates` is always sent, because omitting it keeps whatever was set before.
    """
    if not _SECRET_SHAPE.match(secret):
        raise ValueError("telegram webhook secret must be 1-256 characters of A-Z a-z 0-9 _ -")
    try:
        await bot.set_webhook(
            url,
            secret_token=secret,
            allowed_updates=list(allowed_updates),
            drop_pending_updates=drop_pending_updates,
            max_connections=max_connections,
        )
    except TelegramError as e:
        raise channel_error(e) from e


# --- long polling ---------------------------------------------------------------------------


async def run_polling(
    bot: Bot,
    handle: Handle,
    stop: asyncio.Event,
    *,
    poll_timeout: int = 30,
    allowed_updates: Sequence[str] = ALLOWED_UPDATES,
    clock: Clock = utc_now,
    retry_delay: float = 1.0,
) -> None:
    """Fetch updates with getUpdates until `stop` is set; for development without a URL.

    Updates of one chat are handled in order; different chats concurrently (the pipeline's
    per-lead lock orders the rest). The offset advances only after a batch was handled, so a
    crash re-delivers it, like a webhook 500. Items PTB cannot parse are logged and skipped.
    """
    try:
        await bot.delete_webhook(drop_pending_updates=False)
    except TelegramError as e:
        raise channel_error(e) from e
    offset = 0
    delay = retry_delay
    while not stop.is_set():
        fetch = asyncio.ensure_future(_get_updates(bot, offset, poll_timeout, allowed_updates))
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not fetch.done():
            fetch.cancel()
            await asyncio.gather(fetch, return_exceptions=True)
            break
        try:
            items = fetch.result()
        except Conflict as e:
            logger.warning("telegram polling conflict (webhook set or another poller): %s", e)
            await _sleep_unless(stop, delay)
            delay = min(delay * 2, 60.0)
            continue
        except TelegramError as e:
            logger.warning("telegram getUpdates failed: %s; retrying in %.0f s", e, delay)
            await _sleep_unless(stop, delay)
            delay = min(delay * 2, 60.0)
            continue
        delay = retry_delay
        if not items:
            continue
        events = _events(bot, items, clock())
        try:
            await _dispatch(events, handle)
        except Exception:
            # The polling loop is one of the few places that must outlive any update: the
            # batch is fetched again (offset not advanced) after a pause, as a webhook retries.
            logger.exception("telegram: handling a polled batch failed; retrying it")
            await _sleep_unless(stop, delay)
            delay = min(delay * 2, 60.0)
            continue
        offset = max(_update_id(item) for item in items) + 1
    if offset:
        # Confirm the last batch now, or a restart would fetch and handle it again (PTB's
        # Updater does the same on stop).
        try:
            await _get_updates(bot, offset, 0, allowed_updates, limit=1)
        except TelegramError as e:
            logger.warning("telegram: could not confirm updates before %d: %s", offset, e)
    logger.info("telegram polling stopped at offset %d", offset)


async def _get_updates(
    bot: Bot,
    offset: int,
    poll_seconds: int,
    allowed_updates: Sequence[str],
    *,
    limit: int = 100,
) -> list[dict[str, object]]:
    """Raw getUpdates items: parsed one by one later, so one odd update cannot stall polling.

    `Bot.get_updates` parses the whole batch at once and a single failure would loop forever
    on the same offset; PTB's request object gives us the raw list instead.
    """
    params = {
        "offset": offset,
        "limit": limit,
        "timeout": poll_seconds,
        "allowed_updates": list(allowed_updates),
    }
    data = RequestData([RequestParameter.from_input(k, v) for k, v in params.items()])
    read_timeout = (bot.request.read_timeout or 5.0) + poll_seconds
    result = await bot.request.post(
        f"{bot.base_url}/getUpdates", request_data=data, read_timeout=read_timeout
    )
    if not isinstance(result, list):
        raise TelegramError(f"getUpdates returned {type(result).__name__}, not a list")
    return [item for item in result if isinstance(item, dict) and "update_id" in item]


def _update_id(item: dict[str, object]) -> int:
    value = item["update_id"]
    return value if isinstance(value, int) else int(str(value))


def _events(bot: Bot, items: list[dict[str, object]], now: datetime) -> list[TelegramEvent]:
    events: list[TelegramEvent] = []
    for item in items:
        try:
            events.append(to_event(update_from_dict(item, bot), received_at=now))
        except BadPayload as e:
            logger.warning("telegram: skipping a polled update: %s", e)
    return events


async def _dispatch(events: list[TelegramEvent], handle: Handle) -> None:
    """Per chat in order, chats concurrently."""
    by_chat: dict[str, list[TelegramEvent]] = {}
    for event in events:
        by_chat.setdefault(_chat_key(event), []).append(event)

    async def in_order(chat_events: list[TelegramEvent]) -> None:
        for event in chat_events:
            await handle(event)

    async with asyncio.TaskGroup() as group:
        for chat_events in by_chat.values():
            group.create_task(in_order(chat_events))


def _chat_key(event: TelegramEvent) -> str:
    if isinstance(event, TelegramInbound):
        return event.message.channel_user_id
    if isinstance(event, Blocked | Unblocked):
        return event.channel_user_id
    return f"ignored:{event.update_id}"  # no order to keep


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return
