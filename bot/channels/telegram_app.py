"""The Telegram channel inside the app: its lifecycle and what each Telegram event does.

`setup_telegram(app, config, services)` is called by `build_app`. In webhook mode it adds
`POST /webhooks/telegram` at once (the router freezes when the app starts); the lifecycle it
returns opens the sender on the app's HTTP session (getMe checks the token), puts the sender
and a notifier where the outbox worker finds them, and in polling mode runs `run_polling`.

Events (`TelegramChannel.handle`), in the order they are told apart:

* **SDR chats.** A decision button (`ho:accept:<handoff id>`) or anything else from a chat
  that belongs to an SDR (configured sales group or `qualibot sdrs add --telegram-chat-id`)
  never reaches the pipeline. A decision is recorded, then the SDR's card is edited to show
  who decided and when; after Reject the next text from that chat is the reason.
* **Prospects.** The message is committed by `Pipeline.handle` before the webhook is
  answered (it is durable from then on); replies go out afterwards in `Background`, so
  Telegram gets its 200 without waiting for our sends. Sends of one chat hold that chat's
  lock, so the replies of two quick messages never overtake each other.
* **Blocked / unblocked.** A block marks the lead unreachable at once, and every send to that
  chat is refused from then on (also replies already queued behind the chat's lock or in the
  outbox): nothing more reaches someone who blocked us. Their next message (after
  unblocking) lifts it.
"""

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from datetime import datetime
from typing import Any, Final

from aiohttp import web

from bot.channels.telegram import CHANNEL, RateLimiter, TelegramSender, resolve_choice
from bot.channels.telegram_events import (
    AnsweredQuestion,
    Blocked,
    TelegramEvent,
    TelegramInbound,
    Unblocked,
)
from bot.channels.telegram_web import run_polling, telegram_routes
from bot.config import TelegramConfig, TelegramLimits
from bot.errors import ChannelError
from bot.inbound import MalformedInbound
from bot.locks import KeyedLocks
from bot.services import Services
from dialogs import InboundMessage, OutboundMessage
from handoff.decisions import decide
from handoff.delivery import queue_notes
from handoff.desk import SdrDesk, SdrMessage
from handoff.notifiers import ChannelNotifier, parse_decision
from storage.leads import mark_chat_unreachable
from storage.sdrs import find_by_telegram_chat

logger = logging.getLogger(__name__)

ENGINE_CHOICES: Final = ("yes", "no", "pending:0", "pending:1")  # not flow options
ASK_REASON: Final = "Why was it rejected? Reply with the reason."
NOT_AN_SDR: Final = "Only SDRs can decide on handoffs."
STOP_POLLING: Final = 10.0  # seconds to let the poller confirm its last batch

Lifecycle = Callable[[web.Application], AsyncIterator[None]]


class WebhookSecretMissing(ValueError):
    """Webhook mode without a secret: anyone could post updates."""


class _GuardedSender:
    """The Sender the pipeline's replies and the outbox use: refuses chats that blocked us.

    Refusing with a permanent error makes `deliver_replies` record the failure and mark the
    lead unreachable, and makes the outbox give the row up, with no call to Telegram.
    """

    def __init__(self, sender: TelegramSender, blocked: set[str]) -> None:
        self._sender = sender
        self._blocked = blocked

    async def send(self, channel_user_id: str, message: OutboundMessage) -> str:
        if channel_user_id in self._blocked:
            raise ChannelError(
                CHANNEL,
                "the prospect blocked the bot",
                permanent=True,
                code="blocked",
                unreachable=True,
            )
        return await self._sender.send(channel_user_id, message)


class TelegramChannel:
    """Routes Telegram events to the pipeline, to SDR decisions or nowhere."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._sender: TelegramSender | None = None
        self._guarded: _GuardedSender | None = None
        self.blocked: set[str] = set()  # chat ids of prospects who blocked the bot
        self._sending = KeyedLocks()  # per chat: replies in the order their turns committed

    def attach(self, sender: TelegramSender) -> None:
        self._sender = sender
        self._guarded = _GuardedSender(sender, self.blocked)

    @property
    def sender(self) -> TelegramSender:
        if self._sender is None:
            raise RuntimeError("telegram: an update arrived before the sender started")
        return self._sender

    @property
    def guarded(self) -> _GuardedSender:
        if self._guarded is None:
            raise RuntimeError("telegram: an update arrived before the sender started")
        return self._guarded

    def _clock(self) -> datetime:
        return self._services.clock()

    def _later(self, work: Coroutine[Any, Any, Any]) -> None:
        self._services.background.start(work)

    async def handle(self, event: TelegramEvent) -> None:
        """One update, parsed and deduplicated by the caller (webhook route or poller)."""
        if isinstance(event, TelegramInbound):
            chat = event.message.channel_user_id
            choice = event.message.choice_id
            decision = parse_decision(choice) if choice is not None else None
            if decision is not None or await self._services.sdrs.is_sdr(CHANNEL, chat):
                await self._from_sdr(event, decision)
            elif event.chat_type == "private":
                await self._from_prospect(event)
            elif event.callback_id is not None:  # a stray button in some group
                self._later(self.sender.answer_callback(event.callback_id))
        elif isinstance(event, Blocked):
            await self._blocked(event)
        elif isinstance(event, Unblocked):
            self.blocked.discard(event.channel_user_id)
        elif event.callback_id is not None:
            self._later(self.sender.answer_callback(event.callback_id))

    # --- prospects ------------------------------------------------------------------------

    async def _from_prospect(self, event: TelegramInbound) -> None:
        inbound = event.message
        chat = inbound.channel_user_id
        if event.callback_id is not None:
            # Stop the spinner now; the reply follows once the turn is committed.
            self._later(self.sender.answer_callback(event.callback_id))
        if inbound.choice_id is not None:
            inbound = await self._resolved(inbound, inbound.choice_id)
        self.blocked.discard(chat)  # they wrote to us, so they can read us again
        try:
            outcome = await self._services.pipeline.handle(inbound)
        except MalformedInbound as e:
            # Acknowledged and dropped: Telegram would retry it for a day, holding the chat.
            logger.warning("telegram: update %d ignored: %s", event.update_id, e)
            return
        if outcome.duplicate:
            return
        # The replies are outbox rows of the committed turn: the worker sends them.
        self._wake_outbox()
        if event.question is not None:
            self._later(self._mark_answered(chat, event.question))

    async def _resolved(self, inbound: InboundMessage, choice_id: str) -> InboundMessage:
        """A long option id travelled as a `#` token: map it back against the question."""
        pipeline = self._services.pipeline
        if not choice_id.startswith("#"):
            return inbound
        state = await pipeline.state_of(CHANNEL, inbound.channel_user_id)
        question = pipeline.flow_for(state).questions.get(state.current_question or "")
        options = [o.id for o in question.options] if question is not None else []
        return dataclasses.replace(
            inbound, choice_id=resolve_choice(choice_id, [*options, *ENGINE_CHOICES])
        )

    async def _mark_answered(self, chat: str, question: AnsweredQuestion) -> None:
        if chat in self.blocked:
            return
        try:
            await self.sender.mark_answered(question)
        except ChannelError as e:  # too old to edit, deleted: the answer still counts
            logger.info("telegram: could not mark question %d: %s", question.message_id, e)

    def _wake_outbox(self) -> None:
        self._services.wake_outbox()

    async def _blocked(self, event: Blocked) -> None:
        chat = event.channel_user_id
        self.blocked.add(chat)
        at = event.at

        lead_id: str | None = await self._services.writer.run(
            lambda conn: mark_chat_unreachable(conn, CHANNEL, chat, at)
        )
        if lead_id is not None:
            self._services.pipeline.forget_lead(lead_id)
            logger.info("telegram: lead %s blocked the bot; marked unreachable", lead_id)

    # --- SDRs -----------------------------------------------------------------------------

    async def _from_sdr(self, event: TelegramInbound, decision: tuple[str, str] | None) -> None:
        inbound = event.message
        chat = inbound.channel_user_id
        if decision is not None and decision[0] == "handback":
            if event.callback_id is not None:
                self._later(self.sender.answer_callback(event.callback_id, "Back to the bot."))
            await self._desk().hand_back(CHANNEL, chat, decision[1])
            return
        if decision is not None:
            await self._decide(event, *decision)
            return
        if event.callback_id is not None:  # some other button in an SDR chat
            self._later(self.sender.answer_callback(event.callback_id))
            return
        # commands, a rejection's reason, a reply to a notice (relayed to the prospect)
        desk = self._desk()
        text = inbound.text or (f"/{inbound.command}" if inbound.command else "")
        await desk.handle(
            SdrMessage(
                CHANNEL,
                chat,
                text,
                reply_to=event.reply_to,
                private=event.chat_type == "private",
            )
        )

    def _desk(self) -> SdrDesk:
        return SdrDesk(
            self._services.writer.run,
            clock=self._services.clock,
            forget_lead=self._services.pipeline.forget_lead,
            wake=self._wake_outbox,
        )

    async def _decide(self, event: TelegramInbound, action: str, handoff_id: str) -> None:
        chat = event.message.channel_user_id
        callback_id = event.callback_id or ""
        if not await self._services.sdrs.is_sdr(CHANNEL, chat):
            # Callback data is not proof of a button we sent (CHANNELS.md A7).
            logger.warning("telegram: decision on %s from a chat that is no SDR's", handoff_id)
            self._later(self.sender.answer_callback(callback_id, NOT_AN_SDR))
            return
        by = event.message.profile_name or f"telegram {chat}"
        async with self._services.db.connection() as conn:
            sdr = await find_by_telegram_chat(conn, chat)
        result = await decide(
            self._services.db,
            self._services.writer,
            self._services.pipeline.forget_lead,
            handoff_id=handoff_id,
            action=action,
            by=by,
            at=self._clock(),
            crm=self._services.crm,
            sdr_id=sdr.id if sdr is not None else None,
            reason_from=(CHANNEL, chat),
        )
        handoff = result.handoff
        if handoff is None:
            note = "This handoff no longer exists."
        elif result.refused is not None:
            note = result.refused
        elif result.changed:
            note = f"Handoff {handoff.status}."
        else:
            note = f"Already {handoff.status}."
        if result.wants_reason:  # the prompt is stored with the decision
            await self._note(chat, ASK_REASON)
        self._later(self._show_decision(event, note, result.message))

    async def _show_decision(
        self, event: TelegramInbound, note: str, message: OutboundMessage | None
    ) -> None:
        chat = event.message.channel_user_id
        async with self._sending.hold(chat):
            await self.sender.answer_callback(event.callback_id or "", note)
            card = event.question
            if message is not None and card is not None:
                try:
                    await self.sender.edit_text(
                        card.chat_id, card.message_id, message.text, message.choices
                    )
                except ChannelError as e:
                    logger.warning("telegram: could not edit handoff card: %s", e)

    async def _note(self, chat: str, text: str) -> None:
        """A note to an SDR chat, sent from the outbox after anything queued before it."""
        await queue_notes(
            self._services.writer,
            channel=CHANNEL,
            target=chat,
            messages=[OutboundMessage(text)],
            now=self._clock(),
            wake_outbox=self._wake_outbox,
        )


TELEGRAM = web.AppKey("telegram", TelegramChannel)


def _polling_ended(task: "asyncio.Task[None]") -> None:
    if not task.cancelled() and task.exception() is not None:
        # e.g. deleteWebhook refused at start-up: say so now, not at shutdown.
        logger.error("telegram polling stopped", exc_info=task.exception())


def setup_telegram(app: web.Application, config: TelegramConfig, services: Services) -> Lifecycle:
    """Register the webhook route (webhook mode) and return the channel's lifecycle."""
    channel = TelegramChannel(services)
    app[TELEGRAM] = channel
    if config.mode == "webhook":
        if config.webhook_secret is None:
            raise WebhookSecretMissing(
                "telegram webhook mode needs a secret: set QUALIBOT_TELEGRAM__WEBHOOK_SECRET "
                "(1-256 characters of A-Z a-z 0-9 _ -), or QUALIBOT_TELEGRAM__MODE=polling"
            )
        telegram_routes(
            app.router,
            secret=config.webhook_secret.get_secret_value(),
            handle=channel.handle,
            clock=services.clock,
        )

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        sender = TelegramSender.create(
            config.token.get_secret_value(),
            services.http,
            api_url=config.api_url,
            limiter=rate_limiter(config.limits),
        )
        await sender.start()
        channel.attach(sender)
        services.senders[CHANNEL] = channel.guarded
        services.note_senders[CHANNEL] = sender
        services.notifiers[CHANNEL] = ChannelNotifier(sender, edit=sender.edit_notice)
        stop = asyncio.Event()
        poller: asyncio.Task[None] | None = None
        if config.mode == "polling":
            poller = asyncio.create_task(
                run_polling(sender.bot, channel.handle, stop, clock=services.clock),
                name="telegram-polling",
            )
            poller.add_done_callback(_polling_ended)
        logger.info("telegram: @%s ready (%s)", sender.bot.username, config.mode)
        yield
        stop.set()
        if poller is not None:
            done, _ = await asyncio.wait({poller}, timeout=STOP_POLLING)
            if not done:
                logger.warning("telegram: polling did not stop in %.0f s", STOP_POLLING)
                poller.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await poller
        await services.background.drain()  # replies in flight still need the sender and session
        await sender.close()

    return lifecycle


def rate_limiter(limits: TelegramLimits) -> RateLimiter | None:
    """The configured flood limits; None when both rates are 0 (no client-side throttling)."""
    if not limits.per_second and not limits.per_chat_per_second:
        return None
    return RateLimiter(
        per_second=limits.per_second,
        burst=limits.burst,
        per_chat_per_second=limits.per_chat_per_second,
        chat_burst=limits.chat_burst,
    )
