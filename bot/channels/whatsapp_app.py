"""The WhatsApp channel inside the app: its lifecycle and what each webhook event does.

`setup_whatsapp(app, config, services)` is called by `build_app`: it adds GET/POST
`/webhooks/whatsapp` at once (the router freezes when the app starts) and returns a lifecycle
that builds the sender on the app's HTTP session and puts it where the outbox worker finds
it: `services.senders["whatsapp"]` (prospect replies, window-aware) and
`services.notifiers["whatsapp"]` (the SDR template).

A webhook batch (`WhatsAppChannel.handle`) is processed like this:

* **Messages** are grouped per sender and handled in timestamp order (Meta does not promise
  delivery order). SDR numbers go to `SdrDesk` and never reach the pipeline. A prospect's
  message is committed by `Pipeline.handle` before the webhook is answered; mark-as-read and
  the replies go out afterwards in `Background`, one sender at a time in commit order, so
  Meta gets its 200 fast and two quick messages never get their answers crossed.
* **The phone.** Leads are keyed on the BSUID when Meta sends one, so the phone would be lost;
  while the lead's phone slot is empty, the `wa_id` travels as `InboundMessage.contact_phone`
  and fills it (the SDR summary then shows it, and the flow does not ask for a number it
  already has). A number the prospect types later replaces it and is never overwritten.
* **Statuses** move the outbound message row forward (`failed` with its error code); a status
  for a row not written yet (it raced our own commit) changes nothing. `read` is an
  engagement signal, at most once per lead per `READ_SPACING`: Meta sends one receipt per
  bubble, and a long conversation should not out-score an attentive one. A 131047 failure
  closes the prospect's window, so the next message goes out as the template; 131026
  (undeliverable) marks the lead unreachable.
"""

import asyncio
import dataclasses
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Final

from aiohttp import web

from bot.channels.whatsapp import StatusEvent, WaEvent, WaInbound
from bot.channels.whatsapp_sdr import SdrDesk, WhatsAppSdrNotifier
from bot.channels.whatsapp_sender import (
    CHANNEL,
    REENGAGEMENT,
    UNDELIVERABLE,
    WhatsAppSender,
    mask,
)
from bot.channels.whatsapp_web import whatsapp_routes
from bot.channels.whatsapp_window import ServiceWindows, WindowedSender
from bot.config import WhatsAppConfig
from bot.errors import ChannelError
from bot.inbound import MalformedInbound, believable
from bot.locks import KeyedLocks
from bot.services import Services
from handoff.notifiers import parse_decision
from scoring import Engagement
from storage.leads import record_receipt
from storage.rows import LeadRow

logger = logging.getLogger(__name__)

READ_SPACING: Final = timedelta(minutes=30)
_MAX_READ_MEMORY: Final = 100_000

Lifecycle = Callable[[web.Application], AsyncIterator[None]]


@dataclasses.dataclass(frozen=True, slots=True)
class _Parts:
    """What the lifecycle builds once the HTTP session exists."""

    sender: WhatsAppSender
    replies: WindowedSender
    windows: ServiceWindows
    sdr_desk: SdrDesk


class WhatsAppChannel:
    """Routes WhatsApp webhook events to the pipeline, to SDR decisions or to statuses."""

    def __init__(self, services: Services, config: WhatsAppConfig) -> None:
        self._services = services
        self._config = config
        self._parts: _Parts | None = None
        self._sending = KeyedLocks()  # per address: sends in the order they were scheduled
        self._last_read: OrderedDict[str, datetime] = OrderedDict()  # lead id -> counted at

    def start(self, session_sender: WhatsAppSender) -> _Parts:
        services, config = self._services, self._config
        windows = ServiceWindows(services.db)
        parts = _Parts(
            sender=session_sender,
            replies=WindowedSender(
                session_sender,
                windows,
                clock=services.clock,
                template=config.reengage_template,
                language=config.template_language,
            ),
            windows=windows,
            sdr_desk=SdrDesk(
                db=services.db,
                writer=services.writer,
                pipeline=services.pipeline,
                sdrs=services.sdrs,
                sender=session_sender,
                clock=services.clock,
                wake_outbox=self._wake_outbox,
                crm=services.crm,
            ),
        )
        self._parts = parts
        return parts

    @property
    def parts(self) -> _Parts:
        if self._parts is None:
            raise RuntimeError("whatsapp: a webhook arrived before the sender started")
        return self._parts

    def _clock(self) -> datetime:
        return self._services.clock()

    def _schedule(self, key: str, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` in the background after everything scheduled earlier for `key`.

        Tasks start in creation order and take the key's lock before their first await;
        asyncio.Lock wakes waiters first in, first out, so the order holds.
        """

        async def ordered() -> None:
            async with self._sending.hold(key):
                await work()

        self._services.background.start(ordered())

    def _wake_outbox(self) -> None:
        self._services.wake_outbox()

    async def handle(self, events: list[WaEvent]) -> None:
        """One webhook's new events (the route has dropped repeats): commit, then return."""
        parts = self.parts
        parts.sender.learn(events)
        by_sender: dict[str, list[WaInbound]] = {}
        for event in events:
            if isinstance(event, WaInbound):
                by_sender.setdefault(event.message.channel_user_id, []).append(event)
        async with asyncio.TaskGroup() as tasks:
            for batch in by_sender.values():
                batch.sort(key=lambda e: e.message.sent_at)  # stable: ties keep Meta's order
                tasks.create_task(self._messages(batch))
            for event in events:
                if isinstance(event, StatusEvent):
                    tasks.create_task(self._status(event))

    # --- messages -------------------------------------------------------------------------

    async def _messages(self, batch: list[WaInbound]) -> None:
        for event in batch:
            phone = await self.parts.sdr_desk.phone_of_sdr(event)
            if phone is not None:
                self._mark_read(phone, event)
                await self.parts.sdr_desk.handle(event, phone)
            elif event.message.choice_id and parse_decision(event.message.choice_id):
                # Only our SDR template carries these payloads: not a prospect's answer.
                logger.warning("whatsapp: decision payload from a number that is no SDR's")
            else:
                await self._from_prospect(event)

    async def _from_prospect(self, event: WaInbound) -> None:
        inbound = event.message
        user = inbound.channel_user_id
        self.parts.windows.saw(user, believable(inbound.sent_at, self._clock()))
        if event.wa_id and inbound.contact_phone is None and not await self._has_phone(user):
            inbound = dataclasses.replace(inbound, contact_phone=f"+{event.wa_id}")
        try:
            outcome = await self._services.pipeline.handle(inbound)
        except MalformedInbound as e:
            # Acknowledged and dropped: Meta would retry the webhook for days.
            logger.warning("whatsapp: message ignored: %s", e)
            return
        if outcome.duplicate:
            return
        self._mark_read(user, event, typing=bool(outcome.replies))
        if outcome.replies:
            # The replies are outbox rows of the committed turn: the worker sends them
            # through WindowedSender, which decides free text or the template at that moment.
            self._wake_outbox()

    async def _has_phone(self, user: str) -> bool:
        state = await self._services.pipeline.state_of(CHANNEL, user)
        slot = state.slots.get("phone")
        return slot is not None and slot.status == "filled"

    def _mark_read(self, key: str, event: WaInbound, *, typing: bool = False) -> None:
        if not self._config.mark_read:
            return
        wamid = event.message.message_id

        async def mark() -> None:
            try:
                await self.parts.sender.mark_read(wamid, typing=typing)
            except ChannelError as e:  # blue ticks are a courtesy; the replies still go
                logger.info("whatsapp: mark-read of %s failed: %s", wamid, e)

        self._schedule(key, mark)

    # --- statuses -------------------------------------------------------------------------

    async def _status(self, event: StatusEvent) -> None:
        code = str(event.error_code) if event.error_code is not None else None
        undeliverable = code == UNDELIVERABLE
        at = believable(event.at, self._clock())

        lead: LeadRow | None = await self._services.writer.run(
            lambda conn: record_receipt(
                conn,
                CHANNEL,
                event.wamid,
                event.status,
                at,
                error_code=code,
                unreachable=undeliverable,
            )
        )
        if event.status == "failed":
            logger.warning(
                "whatsapp: message %s to %s failed: %s %s",
                event.wamid,
                mask(event.channel_user_id or "?"),
                code,
                event.error_title or "",
            )
        if lead is None:
            return
        if code == REENGAGEMENT:
            self.parts.windows.close(lead.channel_user_id)
        if undeliverable:
            self._services.pipeline.forget_lead(lead.id)
        if event.status == "read" and self._count_read(lead.id, at):
            await self._services.pipeline.signal(CHANNEL, lead.channel_user_id, Engagement.READ)

    def _count_read(self, lead_id: str, at: datetime) -> bool:
        last = self._last_read.get(lead_id)
        if last is not None and abs(at - last) < READ_SPACING:
            return False
        self._last_read[lead_id] = at
        self._last_read.move_to_end(lead_id)
        if len(self._last_read) > _MAX_READ_MEMORY:
            self._last_read.popitem(last=False)
        return True


WHATSAPP = web.AppKey("whatsapp", WhatsAppChannel)


def setup_whatsapp(app: web.Application, config: WhatsAppConfig, services: Services) -> Lifecycle:
    """Register the webhook routes now and return the channel's lifecycle."""
    channel = WhatsAppChannel(services, config)
    app[WHATSAPP] = channel
    whatsapp_routes(
        app.router,
        verify_token=config.verify_token.get_secret_value(),
        app_secret=config.app_secret.get_secret_value(),
        handle=channel.handle,
    )

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        clock = services.clock
        sender = WhatsAppSender(
            services.http,
            config.graph_url,
            config.phone_number_id,
            config.access_token.get_secret_value(),
            # Pauses (130429) follow the app's clock, the one the outbox schedules retries by.
            monotonic=lambda: clock().timestamp(),
        )
        parts = channel.start(sender)
        services.senders[CHANNEL] = parts.replies
        services.note_senders[CHANNEL] = sender  # SDRs: free text (they just wrote to us)
        services.notifiers[CHANNEL] = WhatsAppSdrNotifier(
            sender, template=config.sdr_template, language=config.template_language
        )
        logger.info("whatsapp: number %s ready", config.phone_number_id)
        yield
        await services.background.drain()  # replies in flight still need the sender and session

    return lifecycle
