"""The 24-hour customer-service window per prospect, and the Sender that respects it.

Free-form messages may reach a prospect only within 24 hours of their last message; outside
it only an approved template goes out (CHANNELS.md B10). The Sender handed to
`deliver_replies` and to the outbox (`services.senders["whatsapp"]`) is `WindowedSender`: it
decides before every send, so a reply the outbox retries a day later never goes out as free
text. Outside the window it sends the re-engagement template once; further replies until the
prospect writes again are given up with a recorded reason (code 131047), because a second
"please reply" template would be spam and the reply it replaces would be stale by then.
"""

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from bot.channels.whatsapp_sender import (
    CHANNEL,
    REENGAGEMENT,
    WhatsAppSender,
    mask,
    waiting_for_token,
    within_window,
)
from bot.errors import ChannelError
from dialogs import OutboundMessage
from storage.database import Database
from storage.leads import find_lead
from storage.messages import transcript

logger = logging.getLogger(__name__)

MAX_TRACKED: Final = 100_000  # prospects whose window is kept in memory


@dataclass(slots=True)
class _Window:
    last_inbound: datetime | None  # the prospect's newest message we know of
    closed: bool = False  # Meta said 131047 although our clock thought it open
    template_sent: bool = False  # the re-engagement template went out since last_inbound


class ServiceWindows:
    """When each prospect last wrote to us: memory first, the transcript after a restart."""

    def __init__(self, db: Database, *, max_tracked: int = MAX_TRACKED) -> None:
        self._db = db
        self._max = max_tracked
        self._windows: OrderedDict[str, _Window] = OrderedDict()

    def saw(self, user: str, at: datetime) -> None:
        """The prospect wrote at `at`: a newer message (re)opens the window."""
        window = self._windows.get(user)
        if window is None:
            self._remember(user, _Window(at))
        elif window.last_inbound is None or at > window.last_inbound:
            # Meta redelivers old messages out of order; only a newer one moves the window.
            self._remember(user, _Window(at))

    def close(self, user: str) -> None:
        """Meta refused a free-form message (131047): templates only until they write again."""
        window = self._windows.get(user)
        if window is None:
            self._remember(user, _Window(None, closed=True))
        else:
            window.closed = True

    async def is_open(self, user: str, now: datetime) -> bool:
        window = await self._window(user)
        return not window.closed and within_window(window.last_inbound, now)

    async def template_due(self, user: str) -> bool:
        """Whether the re-engagement template may still go out in this closed window."""
        return not (await self._window(user)).template_sent

    async def claim_template(self, user: str) -> bool:
        """True once per closed window: whether the re-engagement template may go out now."""
        window = await self._window(user)
        if window.template_sent:
            return False
        window.template_sent = True
        return True

    def release_template(self, user: str) -> None:
        """The template could not be sent: a later try may send it."""
        window = self._windows.get(user)
        if window is not None:
            window.template_sent = False

    async def _window(self, user: str) -> _Window:
        window = self._windows.get(user)
        if window is None:
            window = _Window(await self._last_inbound_stored(user))
            self._remember(user, window)
        return window

    async def _last_inbound_stored(self, user: str) -> datetime | None:
        # After a restart (or eviction) the transcript knows: inbound rows carry the time
        # the prospect sent them.
        async with self._db.connection() as conn:
            lead = await find_lead(conn, CHANNEL, user)
            if lead is None:
                return None
            times = [m.created_at for m in await transcript(conn, lead.id) if m.direction == "in"]
        return max(times, default=None)

    def _remember(self, user: str, window: _Window) -> None:
        self._windows[user] = window
        self._windows.move_to_end(user)
        if len(self._windows) > self._max:
            self._windows.popitem(last=False)


class WindowedSender:
    """The prospect-facing Sender: free text inside the window, the template outside it."""

    def __init__(
        self,
        sender: WhatsAppSender,
        windows: ServiceWindows,
        *,
        clock: Callable[[], datetime],
        template: str,
        language: str,
    ) -> None:
        self._sender = sender
        self._windows = windows
        self._clock = clock
        self._template = template  # "" turns re-engagement off: replies are then given up
        self._language = language

    async def send(self, channel_user_id: str, message: OutboundMessage) -> str:
        user = channel_user_id
        try:
            if await self._windows.is_open(user, self._clock()):
                try:
                    return await self._sender.send(user, message)
                except ChannelError as e:
                    if e.code != REENGAGEMENT:
                        raise
                    # Meta's window closed before our clock said so (CHANNELS.md B10).
                    self._windows.close(user)
            return await self._reengage(user)
        except ChannelError as e:
            replacement = waiting_for_token(e)
            if replacement is e:
                raise
            raise replacement from e

    async def _reengage(self, user: str) -> str:
        if not self._template:
            raise ChannelError(
                CHANNEL,
                "outside the 24 h window and no re-engagement template is configured",
                permanent=True,
                code=REENGAGEMENT,
            )
        if not await self._windows.claim_template(user):
            raise ChannelError(
                CHANNEL,
                "outside the 24 h window; the re-engagement template already went out",
                permanent=True,
                code=REENGAGEMENT,
            )
        logger.info("whatsapp: window closed for %s; sending %s", mask(user), self._template)
        try:
            return await self._sender.send_template(user, self._template, self._language)
        except BaseException:
            self._windows.release_template(user)
            raise
