"""SDRs on WhatsApp: the handoff notification (a template) and what an SDR's reply means.

An SDR may not have written to our number for days, so the notification is always the
approved SDR template (lead name, company, score, band; Accept / Reject quick replies whose
payloads are our `ho:accept:<id>` / `ho:reject:<id>`). Pressing a button comes back as a
`type: "button"` message and opens the SDR's 24-hour window, so everything after it (the full
summary, Won / Lost buttons, the request for a rejection reason) goes out as free messages.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Final

from bot.channels.whatsapp import WaInbound
from bot.channels.whatsapp_sender import WhatsAppSender, waiting_for_token
from bot.errors import ChannelError
from bot.pipeline import Pipeline
from dialogs import OutboundMessage
from handoff.crm import CrmEvents
from handoff.decisions import DecisionResult, decide
from handoff.delivery import queue_notes
from handoff.desk import SdrDesk as HandoffDesk
from handoff.desk import SdrMessage
from handoff.notifiers import decision_choice, parse_decision, withdrawn_message
from handoff.sdr_directory import SdrDirectory
from handoff.summary import format_summary
from storage.database import Database
from storage.writer import Writer

logger = logging.getLogger(__name__)

CHANNEL: Final = "whatsapp"
ASK_REASON: Final = "Why was it rejected? Reply with the reason."
GONE: Final = "This handoff no longer exists."


def template_params(summary: dict[str, Any]) -> list[str]:
    """The SDR template's body parameters: {{1}} name, {{2}} company, {{3}} score, {{4}} band."""
    contact = summary.get("contact") or {}
    return [
        str(contact.get("name") or "-"),
        str(contact.get("company") or "-"),
        str(summary.get("score", "-")),
        str(summary.get("band") or "-").upper(),
    ]


class WhatsAppSdrNotifier:
    """The Notifier for WhatsApp numbers: the SDR template with decision payloads."""

    def __init__(self, sender: WhatsAppSender, *, template: str, language: str) -> None:
        self._sender = sender
        self._template = template
        self._language = language

    async def notify(self, target: str, handoff_id: str, summary: dict[str, Any]) -> str:
        payloads = [
            decision_choice(decision, handoff_id, "").id for decision in ("accept", "reject")
        ]
        try:
            return await self._sender.send_template(
                target,
                self._template,
                self._language,
                template_params(summary),
                button_payloads=payloads,
            )
        except ChannelError as e:
            replacement = waiting_for_token(e)
            if replacement is e:
                raise
            raise replacement from e

    async def update(
        self, target: str, message_id: str | None, handoff_id: str, summary: dict[str, Any]
    ) -> bool:
        """WhatsApp cannot edit a template: the whole summary once more, as a follow-up."""
        del message_id
        await self._sender.send(target, OutboundMessage(format_summary(summary)))
        return False

    async def withdraw(self, target: str, summary: dict[str, Any]) -> None:
        await self._sender.send(target, withdrawn_message(summary))


class SdrDesk:
    """Reads an SDR's WhatsApp messages as decisions and reasons; never as a prospect's."""

    def __init__(
        self,
        *,
        db: Database,
        writer: Writer,
        pipeline: Pipeline,
        sdrs: SdrDirectory,
        sender: WhatsAppSender,
        clock: Callable[[], datetime],
        wake_outbox: Callable[[], None],
        crm: CrmEvents | None = None,
    ) -> None:
        self._db = db
        self._writer = writer
        self._pipeline = pipeline
        self._sdrs = sdrs
        self._sender = sender
        self._clock = clock
        self._wake_outbox = wake_outbox
        self._crm = crm
        self._desk = HandoffDesk(
            writer.run, clock=clock, forget_lead=pipeline.forget_lead, wake=wake_outbox
        )

    async def phone_of_sdr(self, event: WaInbound) -> str | None:
        """The SDR's configured phone if this message is from an SDR, else None.

        SDRs are configured by phone, so match on the phone: the one in the message, or the
        one Meta showed behind the BSUID earlier (statuses of our template carry both).
        """
        phone = event.wa_id
        if phone is None and event.user_id is not None:
            known = self._sender.address(event.user_id)
            phone = known if known != event.user_id else None
        if phone is not None and await self._sdrs.is_sdr(CHANNEL, phone):
            return phone
        return None

    async def handle(self, event: WaInbound, phone: str) -> None:
        """A decision button, a rejection reason, or anything else (answered with help)."""
        message = event.message
        decision = parse_decision(message.choice_id) if message.choice_id else None
        if decision is not None and decision[0] == "handback":
            await self._desk.hand_back(CHANNEL, phone, decision[1])
            return
        if decision is not None:
            action, handoff_id = decision
            result = await decide(
                self._db,
                self._writer,
                self._pipeline.forget_lead,
                handoff_id=handoff_id,
                action=action,
                by=message.profile_name or f"+{phone.lstrip('+')}",
                at=self._clock(),
                crm=self._crm,
                reason_from=(CHANNEL, phone),
            )
            await self._say(phone, *_decision_messages(result))
            return
        # commands, a rejection's reason (stored prompt), a reply to a notice (relayed)
        await self._desk.handle(SdrMessage(CHANNEL, phone, message.text, reply_to=event.reply_to))

    async def _say(self, phone: str, *messages: OutboundMessage) -> None:
        """Notes to the SDR, sent from the outbox in this order after anything before them."""
        await queue_notes(
            self._writer,
            channel=CHANNEL,
            target=phone,
            messages=messages,
            now=self._clock(),
            wake_outbox=self._wake_outbox,
        )


def _decision_messages(result: DecisionResult) -> list[OutboundMessage]:
    """The full summary as it stands now (Won / Lost after Accept), then any question."""
    if result.handoff is None or result.message is None:
        return [OutboundMessage(GONE)]
    messages = [result.message]
    if not result.changed:
        messages.insert(0, OutboundMessage(f"Already {result.handoff.status}."))
    if result.wants_reason:
        messages.append(OutboundMessage(ASK_REASON))
    return messages
