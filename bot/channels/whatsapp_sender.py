"""WhatsAppSender: delivers replies through the Graph API and turns Meta errors into ChannelError.

Retry policy lives in the caller (the outbox honours `retry_after`); this module only says
which failures are worth retrying, how long to wait, and which are final:

| Graph code / HTTP            | permanent | retry_after                           |
|------------------------------|-----------|---------------------------------------|
| 130429 throughput            | no        | 10 s, and every send pauses that long |
| 131056 pair rate limit       | no        | 1, 4, 16, 64 … s per recipient (4^X)  |
| 4, 80007 API-call rate limit | no        | 60 s                                  |
| HTTP 429 (other)             | no        | Retry-After header, else 30 s         |
| 131049 marketing cap         | no        | 24 h                                  |
| 131000/131016/131057, 5xx    | no        | None (caller's own backoff)           |
| timeouts, connection errors  | no        | None                                  |
| 131047 outside 24 h window   | yes       | - (send a template instead)           |
| 190 access token             | yes       | - (logged at CRITICAL once)           |
| 131026 undeliverable, other  | yes       | -                                     |

The channel (`whatsapp_window.py`, `whatsapp_sdr.py`) passes 190 through `waiting_for_token`,
so replies and handoffs queued in the outbox wait (hourly) for a new token instead of dying.

`ChannelError.code` is the Graph code as a string ("131047"), or "http_<status>",
"timeout", "network", "bad_response" when Meta sent no code.
"""

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import aiohttp
import orjson

from bot.channels.whatsapp import StatusEvent, WaEvent, WaInbound
from bot.channels.whatsapp_render import (
    DEFAULT_LIST_BUTTON,
    Body,
    mark_read_body,
    render,
    render_template,
)
from bot.errors import ChannelError
from dialogs.messages import OutboundMessage

logger = logging.getLogger(__name__)

CHANNEL: Final = "whatsapp"
WINDOW: Final = timedelta(hours=24)  # customer-service window after the prospect's last message
DEFAULT_TIMEOUT: Final = aiohttp.ClientTimeout(total=15, connect=5)

REENGAGEMENT: Final = "131047"
THROUGHPUT: Final = "130429"
PAIR_RATE: Final = "131056"
AUTH: Final = "190"
UNDELIVERABLE: Final = "131026"

THROUGHPUT_PAUSE: Final = 10.0
API_RATE_PAUSE: Final = 60.0
HTTP_429_PAUSE: Final = 30.0
MARKETING_CAP_PAUSE: Final = 24 * 3600.0
PAIR_BACKOFF_CAP: Final = 256.0
AUTH_RETRY: Final = 3600.0  # queued messages wait for a new token (see waiting_for_token)
_TRANSIENT: Final = frozenset({"131000", "131016", "131057", "1", "2"})
_API_RATE: Final = frozenset({"4", "80007"})
_MAX_TRACKED_RECIPIENTS: Final = 10_000
_MAX_KNOWN_PHONES: Final = 100_000


def within_window(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether free-form messages may still go out: the prospect wrote less than 24 h ago.

    Our own messages do not reopen the window; only the prospect's do.
    """
    return last_inbound_at is not None and now - last_inbound_at < WINDOW


def mask(recipient: str) -> str:
    """A phone or BSUID for logs: enough to correlate, not enough to call."""
    return recipient[:4] + "…" + recipient[-2:] if len(recipient) > 8 else "…"


def translate_error(
    status: int, payload: bytes, *, retry_after_header: str | None = None
) -> ChannelError:
    """A failed Graph response as ChannelError (see the module table)."""
    error: Mapping[str, Any] = {}
    try:
        parsed = orjson.loads(payload)
        if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
            error = parsed["error"]
    except orjson.JSONDecodeError:
        pass  # an HTML error page from a proxy: the status code alone decides
    raw_code = error.get("code")
    code = str(raw_code) if raw_code is not None else f"http_{status}"
    message = str(error.get("message") or f"HTTP {status}")
    details = error.get("error_data", {})
    if isinstance(details, dict) and details.get("details"):
        message = f"{message}: {details['details']}"
    retry_after: float | None = None
    permanent = False
    if code == THROUGHPUT:
        retry_after = THROUGHPUT_PAUSE
    elif code == PAIR_RATE:
        retry_after = 1.0  # WhatsAppSender raises it per recipient: 4^X
    elif code in _API_RATE:
        retry_after = API_RATE_PAUSE
    elif code == "131049":
        retry_after = MARKETING_CAP_PAUSE
    elif status == 429:
        retry_after = _seconds(retry_after_header) or HTTP_429_PAUSE
    elif code in _TRANSIENT or status >= 500 or error.get("is_transient") is True:
        retry_after = None
    else:
        # 131047, 190, 131026, 100, 131009, 132xxx, 131062 …: retrying the same body fails again.
        permanent = True
    return ChannelError(
        CHANNEL,
        message,
        retry_after=retry_after,
        permanent=permanent,
        code=code,
        unreachable=code == UNDELIVERABLE,
    )


def waiting_for_token(error: ChannelError) -> ChannelError:
    """A 190 (token rejected) for a queued message: retry hourly instead of dropping it.

    A new token needs a config change and a restart, so trying again at once is pointless
    (and `translate_error` says permanent), but dropping the prospect's reply or the SDR's
    handoff over our own expired token would be worse. The outbox retries hourly until
    MAX_ATTEMPTS; after the restart with a new token the next attempt goes through.
    """
    if error.code != AUTH:
        return error
    return ChannelError(CHANNEL, str(error), retry_after=AUTH_RETRY, code=AUTH)


def _seconds(header: str | None) -> float | None:
    try:
        return float(header) if header else None
    except ValueError:
        return None  # an HTTP-date: not worth parsing for a fallback


@dataclass(frozen=True, slots=True)
class SendResult:
    """What `send_or_template` did: the wamid of the last message and which kind went out."""

    wamid: str
    kind: Literal["message", "template"]


class WhatsAppSender:
    """The Sender for WhatsApp: one instance per business phone number."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        graph_url: str,
        phone_number_id: str,
        access_token: str,
        *,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        list_button: str = DEFAULT_LIST_BUTTON,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._session = session
        self._url = f"{graph_url.rstrip('/')}/{phone_number_id}/messages"
        self._headers = {
            "Authorization": f"Bearer {access_token}",
            "Content-Type": "application/json",
        }
        self._timeout = timeout
        self._list_button = list_button
        self._monotonic = monotonic
        self._paused_until = 0.0  # 130429 throttles the whole number, not one recipient
        self._pair_strikes: dict[str, int] = {}
        self._auth_alarm_raised = False
        self._phones: OrderedDict[str, str] = OrderedDict()  # BSUID -> wa_id, most recent last

    def learn(self, events: Iterable[WaEvent]) -> None:
        """Remember which phone stands behind each BSUID seen in webhooks.

        Leads are keyed on the BSUID, but sending to a phone (`to`) is the long-proven path
        and some message kinds refuse BSUID recipients (131062). So a BSUID whose phone Meta
        has shown us is sent to by phone; only username-only users go by `recipient`.
        Call it from the webhook callback with every batch.
        """
        for event in events:
            if isinstance(event, WaInbound):
                user_id, wa_id = event.user_id, event.wa_id
            elif isinstance(event, StatusEvent):
                user_id, wa_id = event.recipient_user_id, event.recipient_id
            else:
                continue
            if user_id and wa_id:
                self._phones[user_id] = wa_id
                self._phones.move_to_end(user_id)
                if len(self._phones) > _MAX_KNOWN_PHONES:
                    self._phones.popitem(last=False)

    def address(self, channel_user_id: str) -> str:
        """The phone for a BSUID when known, else the id itself."""
        return self._phones.get(channel_user_id, channel_user_id)

    async def send(self, channel_user_id: str, message: OutboundMessage) -> str:
        """Send one reply (possibly several bubbles); return the wamid of the last one.

        If a later bubble fails, the earlier ones have been delivered and a retry of the
        whole message repeats them.
        """
        to = self.address(channel_user_id)
        bodies = render(message, to, list_button=self._list_button)
        if not bodies:
            raise ValueError("whatsapp: nothing to send (empty text and no choices)")
        wamid = ""
        for body in bodies:
            wamid = await self._post_message(to, body)
        return wamid

    async def send_template(
        self,
        to: str,
        name: str,
        language: str,
        params: Sequence[str] = (),
        *,
        button_payloads: Sequence[str] = (),
    ) -> str:
        """Send an approved template (allowed outside the 24 h window); return its wamid."""
        to = self.address(to)
        body = render_template(to, name, language, params, button_payloads=button_payloads)
        return await self._post_message(to, body)

    async def send_or_template(
        self,
        to: str,
        message: OutboundMessage,
        *,
        last_inbound_at: datetime | None,
        now: datetime,
        template_name: str,
        template_language: str,
        template_params: Sequence[str] = (),
    ) -> SendResult:
        """The reply inside the window, else the re-engagement template.

        Meta sometimes closes the window before our clock says so and answers 131047 at
        once; the template follows then too. A 131047 that arrives later as a `failed`
        status is the caller's to record.
        """
        if within_window(last_inbound_at, now):
            try:
                return SendResult(await self.send(to, message), "message")
            except ChannelError as e:
                if e.code != REENGAGEMENT:
                    raise
                logger.info("whatsapp: window closed early for %s; sending template", mask(to))
        wamid = await self.send_template(to, template_name, template_language, template_params)
        return SendResult(wamid, "template")

    async def mark_read(self, wamid: str, *, typing: bool = False) -> None:
        """Mark an inbound message read (blue ticks), optionally with a typing indicator."""
        await self._post(mark_read_body(wamid, typing=typing), recipient=None)

    async def _post_message(self, recipient: str, body: Body) -> str:
        answer = await self._post(body, recipient=recipient)
        messages = answer.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            wamid = messages[0].get("id")
            if isinstance(wamid, str) and wamid:
                self._pair_strikes.pop(recipient, None)
                return wamid
        # Accepted or not? Unknown; retrying risks a duplicate, dropping risks a loss.
        raise ChannelError(CHANNEL, "send answer has no message id", code="bad_response")

    async def _post(self, body: Body, *, recipient: str | None) -> dict[str, Any]:
        pause = self._paused_until - self._monotonic()
        if pause > 0:
            raise ChannelError(
                CHANNEL, "throughput limit: pausing sends", retry_after=pause, code=THROUGHPUT
            )
        try:
            async with self._session.post(
                self._url, data=orjson.dumps(body), headers=self._headers, timeout=self._timeout
            ) as response:
                payload = await response.read()
                status = response.status
                retry_after_header = response.headers.get("Retry-After")
        except TimeoutError as e:
            raise ChannelError(CHANNEL, "Graph API timed out", code="timeout") from e
        except aiohttp.ClientError as e:
            raise ChannelError(CHANNEL, f"Graph API unreachable: {e}", code="network") from e
        if status == 200:
            try:
                answer = orjson.loads(payload)
            except orjson.JSONDecodeError as e:
                raise ChannelError(CHANNEL, "send answer is not JSON", code="bad_response") from e
            if isinstance(answer, dict):
                return answer
            raise ChannelError(CHANNEL, "send answer is not an object", code="bad_response")
        raise self._failed(status, payload, retry_after_header, recipient)

    def _failed(
        self, status: int, payload: bytes, retry_after_header: str | None, recipient: str | None
    ) -> ChannelError:
        error = translate_error(status, payload, retry_after_header=retry_after_header)
        if error.code == THROUGHPUT and error.retry_after:
            self._paused_until = self._monotonic() + error.retry_after
        elif error.code == PAIR_RATE and recipient is not None:
            error.retry_after = self._pair_backoff(recipient)
        if error.code == AUTH:
            if not self._auth_alarm_raised:
                self._auth_alarm_raised = True
                logger.critical(
                    "whatsapp: access token rejected (Graph 190): %s. Nothing will be sent "
                    "until QUALIBOT_WHATSAPP__ACCESS_TOKEN is replaced.",
                    error,
                )
        else:
            where = mask(recipient) if recipient else "mark-read"
            logger.warning("whatsapp: send to %s failed: %s", where, error)
        return error

    def _pair_backoff(self, recipient: str) -> float:
        """Meta's advice for 131056: wait 4^X seconds, X counting failures for this user."""
        if len(self._pair_strikes) >= _MAX_TRACKED_RECIPIENTS:
            self._pair_strikes.clear()  # bounded memory; the worst case is a shorter wait
        strikes = self._pair_strikes.get(recipient, 0)
        self._pair_strikes[recipient] = strikes + 1
        return min(4.0**strikes, PAIR_BACKOFF_CAP)
