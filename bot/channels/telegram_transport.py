"""AiohttpRequest: python-telegram-bot's HTTP transport on the app's shared aiohttp session.

PTB's default HTTPXRequest costs 0.5-1.7 ms of CPU per Bot API call; an aiohttp POST on a
warm session costs a fraction of that (bench/telegram_transport.py). PTB keeps everything
else: it builds the parameters, maps status codes to TelegramError subclasses and parses
results. This class only moves bytes.

The session belongs to the application (`bot/app.py` opens and closes it in `cleanup_ctx`),
so `initialize`/`shutdown` open and close nothing: `Bot.shutdown()` must not close a session
other clients (the Graph API sender) still use.

Timeouts: PTB passes read/write/connect/pool timeouts per call (`getUpdates` adds its long-poll
`timeout` to the read timeout). They map to one `aiohttp.ClientTimeout` per call:

| PTB            | aiohttp                                        |
|----------------|------------------------------------------------|
| connect        | `sock_connect`                                 |
| pool + connect | `connect` (aiohttp counts the wait for a pooled connection here) |
| read           | `sock_read`                                    |
| write          | not supported by aiohttp; bodies here are small forms |

`total` stays unset, so a long poll is never cut by the session's default total timeout.
"""

from typing import Any, Final
from urllib.parse import urlencode

import aiohttp
import orjson
from telegram.error import NetworkError, TelegramError, TimedOut
from telegram.request import BaseRequest, RequestData

_FORM: Final = {"Content-Type": "application/x-www-form-urlencoded"}


class AiohttpRequest(BaseRequest):
    """A PTB `BaseRequest` that sends through a borrowed `aiohttp.ClientSession`."""

    __slots__ = ("_connect", "_default_timeout", "_headers", "_pool", "_read", "_session")

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        read_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._session = session
        self._read = read_timeout
        self._connect = connect_timeout
        self._pool = pool_timeout
        # Built once: almost every call uses the defaults, and this is the hot path.
        self._default_timeout = _timeout(read_timeout, connect_timeout, pool_timeout)
        self._headers = {**_FORM, "User-Agent": self.USER_AGENT}

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds (PTB adds a long poll's `timeout` to it)."""
        return self._read

    async def initialize(self) -> None:
        """Nothing to open: the application owns the session."""

    async def shutdown(self) -> None:
        """Nothing to close: the application owns the session and closes it last."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        # seconds, None for no limit, or BaseRequest.DEFAULT_NONE for this transport's default
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one Bot API call; return (HTTP status, body). PTB interprets both."""
        if self._session.closed:
            raise NetworkError("aiohttp session is closed: the application is shutting down")
        default = BaseRequest.DEFAULT_NONE
        if read_timeout is default and connect_timeout is default and pool_timeout is default:
            timeout = self._default_timeout
        else:
            timeout = _timeout(
                _seconds(read_timeout, self._read),
                _seconds(connect_timeout, self._connect),
                _seconds(pool_timeout, self._pool),
            )
        body: bytes | aiohttp.FormData | None = None
        headers = self._headers
        if request_data is not None:
            if request_data.contains_files:
                body = _multipart(request_data.json_parameters, request_data)
                headers = {"User-Agent": self.USER_AGENT}  # aiohttp sets the boundary
            else:
                # The Bot API's own wire format, as PTB's httpx transport sends it: strings
                # as-is, every other value (reply_markup, ints) JSON-encoded into the field.
                body = urlencode(request_data.json_parameters).encode()
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as e:  # aiohttp's ServerTimeoutError/ConnectionTimeoutError too
            raise TimedOut(f"Timed out calling the Bot API: {e!r}") from e
        except aiohttp.ClientError as e:
            raise NetworkError(f"aiohttp.{type(e).__name__}: {e}") from e

    @staticmethod
    def parse_json_payload(payload: bytes) -> dict[str, Any]:
        """Parse a Bot API answer with orjson (several times faster than json for Messages)."""
        try:
            data = orjson.loads(payload)
        except orjson.JSONDecodeError:
            # PTB's own parser tolerates invalid UTF-8 by replacing it; do the same.
            try:
                data = orjson.loads(payload.decode("utf-8", "replace"))
            except orjson.JSONDecodeError as e:
                raise TelegramError("Invalid server response") from e
        if not isinstance(data, dict):
            raise TelegramError("Invalid server response: not a JSON object")
        return data


def _seconds(given: object, default: float | None) -> float | None:
    """A timeout PTB passed: its sentinel means this transport's default."""
    if given is BaseRequest.DEFAULT_NONE:
        return default
    return float(given) if isinstance(given, int | float) else None


def _timeout(
    read: float | None, connect: float | None, pool: float | None
) -> aiohttp.ClientTimeout:
    acquire = None if connect is None or pool is None else connect + pool
    return aiohttp.ClientTimeout(total=None, connect=acquire, sock_connect=connect, sock_read=read)


def _multipart(fields: dict[str, str], request_data: RequestData) -> aiohttp.FormData:
    """Uploads (not used by qualibot today, but PTB may send them): fields plus files."""
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
