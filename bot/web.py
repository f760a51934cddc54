"""HTTP plumbing shared by every route: errors mapped to responses in one place, request ids."""

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from ipaddress import ip_address, ip_network
from typing import Any, Final

from aiohttp import web
from aiohttp.typedefs import Middleware

from bot.errors import BadPayload, ForgedRequest
from storage.errors import DatabaseBusy

logger = logging.getLogger(__name__)
BODY_TIMEOUT: Final = timedelta(seconds=10)  # for a client to send a request body
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_json(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """ForgedRequest -> 401 (or its own status), BadPayload -> 400, DatabaseBusy -> 503 with
    Retry-After (overload: the client or platform sends it again), anything else -> 500."""
    started = time.perf_counter()
    try:
        response = await handler(request)
    except ForgedRequest as e:
        logger.warning("refused %s %s: %s", request.method, request.path, e)
        return error_json(e.status, str(e))
    except BadPayload as e:
        logger.info("bad payload %s %s: %s", request.method, request.path, e)
        return error_json(400, str(e))
    except DatabaseBusy as e:
        logger.warning("busy %s %s: %s", request.method, request.path, e)
        busy = error_json(503, str(e))
        busy.headers["Retry-After"] = "1"
        return busy
    except web.HTTPRequestEntityTooLarge as e:
        return error_json(413, e.text or "body too large")
    except web.HTTPException:
        raise
    except Exception:
        request_id = secrets.token_hex(6)
        logger.exception("request %s failed: %s %s", request_id, request.method, request.path)
        return error_json(500, f"internal error (request id {request_id})")
    elapsed = (time.perf_counter() - started) * 1000
    logger.debug("%s %s -> %s in %.1f ms", request.method, request.path, response.status, elapsed)
    return response


class BodyBudget:
    """Bytes that requests not yet authenticated may hold in memory together.

    A WhatsApp webhook can only be checked once its whole body is in (the signature covers
    it), and Meta documents bodies of up to 3 MB: a hundred forged ones at once would hold
    300 MB. Past the budget a request is answered 503 at once (Meta retries).
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self.used = 0

    def take(self, size: int) -> bool:
        if self.used + size > self._limit:
            return False
        self.used += size
        return True

    def give(self, size: int) -> None:
        self.used -= size


async def read_body(
    request: web.Request,
    max_body: int,
    *,
    within: timedelta = BODY_TIMEOUT,
    budget: BodyBudget | None = None,
) -> bytes:
    """The raw body: 413 past `max_body` (refused on the declared length before reading),
    408 if it takes longer than `within` to arrive, 503 past the `budget`."""
    declared = request.content_length
    if declared is not None and declared > max_body:
        raise web.HTTPRequestEntityTooLarge(max_size=max_body, actual_size=declared)
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(within.total_seconds()):
            async for chunk in request.content.iter_chunked(64 * 1024):
                if size + len(chunk) > max_body:
                    raise web.HTTPRequestEntityTooLarge(
                        max_size=max_body, actual_size=size + len(chunk)
                    )
                if budget is not None and not budget.take(len(chunk)):
                    raise web.HTTPServiceUnavailable(
                        text="too many large requests at once; try again",
                        headers={"Retry-After": "1"},
                    )
                size += len(chunk)
                chunks.append(chunk)
    except TimeoutError as e:
        raise web.HTTPRequestTimeout(text=f"the body took longer than {within}") from e
    finally:
        if budget is not None:
            budget.give(size)
    return b"".join(chunks)


async def read_form(request: web.Request, *, within: timedelta = BODY_TIMEOUT) -> Any:
    """A form body (its size is capped by the application's client_max_size); 408 if slow."""
    try:
        async with asyncio.timeout(within.total_seconds()):
            return await request.post()
    except TimeoutError as e:
        raise web.HTTPRequestTimeout(text=f"the body took longer than {within}") from e


def forwarded_middleware(allow: Sequence[str]) -> Middleware:
    """Believe X-Forwarded-For/-Proto/-Host from the proxies in `allow` (IPs, networks, "*").

    Behind a TLS proxy the request arrives as plain http from the proxy's address: without
    this, session cookies would not be marked Secure and login throttling would see one
    address for everyone. From any other peer the headers are ignored (a client could
    otherwise pick its own address). A proxy appends the address it saw to X-Forwarded-For,
    so the last entry is the one it vouches for.
    """
    anyone = "*" in allow
    networks = [ip_network(item, strict=False) for item in allow if item != "*"]

    def trusted(peer: str | None) -> bool:
        if anyone:
            return True
        try:
            address = ip_address(peer or "")
        except ValueError:
            return False
        return any(address in network for network in networks)

    def last(request: web.Request, header: str) -> str | None:
        value = request.headers.get(header)
        if not value:
            return None
        return value.rsplit(",", 1)[-1].strip() or None

    @web.middleware
    async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not (anyone or networks) or not trusted(request.remote):
            return await handler(request)
        proto = (last(request, "X-Forwarded-Proto") or "").lower()
        client = last(request, "X-Forwarded-For")
        host = last(request, "X-Forwarded-Host")
        return await handler(
            request.clone(
                scheme=proto if proto in {"http", "https"} else request.scheme,
                remote=client or request.remote or "",
                host=host or request.host,
            )
        )

    return forwarded
