"""What an SDR writes to the bot, on any channel: commands, a rejection reason, and replies
to a handoff notice, which are relayed to the prospect (a takeover).

* `/away`, `/back`: the SDR's availability switch (routing skips an SDR who is away).
* `/reply <text>`: to the prospect of the handoff replied to, else the one the SDR is
  talking to, else their latest accepted handoff.
* a reply to a handoff notice, a reminder or a relayed message: the same as `/reply`.
* `/handback`: the bot talks to the prospect again.
* after Reject, the next text is the reason (the prompt is a row: a restart keeps it).

Everything one SDR message causes is written in one transaction, and what it sends (to the
prospect, notes to the SDR) leaves from the outbox.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from dialogs import OutboundMessage
from handoff.assignment import note_row, who
from handoff.outbox import reply_row
from storage import outbox as outbox_store
from storage.database import Transaction
from storage.handoff_events import record_event
from storage.handoffs import (
    Handoff,
    get_handoff,
    latest_accepted,
    set_reason,
    set_takeover,
    taken_over_by,
)
from storage.leads import get_lead
from storage.messages import append_outbound
from storage.rows import OutboxRow
from storage.sdr_prompts import pop_prompt
from storage.sdrs import Sdr, find_by_address, set_available

Job = Callable[[Transaction], Awaitable[Any]]
Run = Callable[[Job], Awaitable[Any]]

REASON_NOTED: Final = "Thanks, the reason is recorded."
HELP: Final = (
    "This chat receives handoffs from qualibot. Use the buttons on a handoff to accept or "
    "reject it, and Won / Lost once you know. After Accept, reply to the notice (or send "
    "/reply <text>) to write to the prospect through the bot; /handback lets the bot talk to "
    "them again. /away stops new handoffs, /back resumes them."
)
AWAY: Final = "You are away: no new handoffs until you send /back."
BACK: Final = "Welcome back: new handoffs come to you again."
NOT_AN_SDR: Final = "Only an SDR added with `qualibot sdrs add` can switch availability."
NO_LEAD: Final = "Which lead? Reply to its handoff notice, or accept a handoff first."
ACCEPT_FIRST: Final = "Accept the handoff first, then reply to write to the prospect."
NOT_YOURS: Final = "This lead is with another SDR now; nothing was sent."
EMPTY: Final = "Write the message after /reply, e.g. /reply Halo Pak Budi."


@dataclass(frozen=True, slots=True)
class SdrMessage:
    """One text from an SDR's chat: `reply_to` is the platform id of the message it answers."""

    channel: str
    address: str
    text: str
    reply_to: str | None = None
    private: bool = True  # a private chat (not a sales group, where people talk to each other)


@dataclass(slots=True)
class _Done:
    rows: list[OutboxRow]
    lead_id: str | None = None


class SdrDesk:
    """Reads SDR messages; `forget_lead` drops the pipeline's cached state of a lead whose
    conversation changed hands, `wake` starts the outbox."""

    def __init__(
        self,
        run: Run,
        *,
        clock: Callable[[], datetime],
        forget_lead: Callable[[str], None] = lambda _: None,
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self._run = run
        self._clock = clock
        self._forget_lead = forget_lead
        self._wake = wake

    async def handle(self, message: SdrMessage) -> None:
        now = self._clock()
        await self._commit(lambda conn: self._handle(conn, message, now))

    async def hand_back(self, channel: str, address: str, handoff_id: str) -> None:
        """The "Hand back to the bot" button on a relayed message."""
        now = self._clock()

        async def step(conn: Transaction) -> _Done:
            handoff = await get_handoff(conn, handoff_id)
            if handoff is None or not handoff.takeover:
                return _Done([])
            sdr = await find_by_address(conn, channel, address)
            message = SdrMessage(channel, address, "/handback")
            return await self._hand_back(conn, message, sdr, handoff, now)

        await self._commit(step)

    async def _commit(self, step: Callable[[Transaction], Awaitable[_Done]]) -> None:
        """Run `step` and queue what it sends in one transaction; then drop the lead's cached
        state and start the outbox."""

        async def job(conn: Transaction) -> _Done:
            done = await step(conn)
            await outbox_store.enqueue(conn, done.rows)
            return done

        done: _Done = await self._run(job)
        if done.lead_id is not None:
            self._forget_lead(done.lead_id)
        if done.rows:
            self._wake()

    async def _handle(self, conn: Transaction, message: SdrMessage, now: datetime) -> _Done:
        text = message.text.strip()
        sdr = await find_by_address(conn, message.channel, message.address)
        command, rest = "", text
        if text.startswith("/"):
            head, _, rest = text.partition(" ")
            command = head[1:].partition("@")[0].lower()
            rest = rest.strip()

        def note(text: str) -> _Done:
            return _Done(
                [note_row(message.channel, message.address, OutboundMessage(text), now=now)]
            )

        if command in ("away", "back"):
            if sdr is None:
                return note(NOT_AN_SDR)
            await set_available(conn, sdr.id, command == "back")
            return note(BACK if command == "back" else AWAY)
        if command in ("reply", "handback"):
            handoff = await self._handoff_for(conn, message, sdr)
            if handoff is None:
                return note(NO_LEAD)
            if command == "handback":
                return await self._hand_back(conn, message, sdr, handoff, now)
            if not rest:
                return note(EMPTY)
            return await self._relay(conn, message, sdr, handoff, rest, now)
        if command in ("help", "start"):
            return note(HELP)
        prompt = await pop_prompt(conn, message.channel, message.address)
        if prompt is not None and text:
            _, handoff_id = prompt
            await set_reason(conn, handoff_id, text)
            await record_event(
                conn,
                handoff_id,
                "reason",
                at=now,
                sdr_id=sdr.id if sdr else None,
                detail={"reason": text[:500]},
            )
            return note(REASON_NOTED)
        if message.reply_to is not None and text:
            handoff = await self._replied(conn, message)
            if handoff is not None:
                return await self._relay(conn, message, sdr, handoff, text, now)
        return note(HELP) if message.private else _Done([])

    async def _replied(self, conn: Transaction, message: SdrMessage) -> Handoff | None:
        if message.reply_to is None:
            return None
        handoff_id = await outbox_store.handoff_of_message(
            conn, message.channel, message.address, message.reply_to
        )
        return await get_handoff(conn, handoff_id) if handoff_id else None

    async def _handoff_for(
        self, conn: Transaction, message: SdrMessage, sdr: Sdr | None
    ) -> Handoff | None:
        replied = await self._replied(conn, message)
        if replied is not None or sdr is None:
            return replied
        talking = await taken_over_by(conn, sdr.id)
        return talking[0] if talking else await latest_accepted(conn, sdr.id)

    async def _relay(
        self,
        conn: Transaction,
        message: SdrMessage,
        sdr: Sdr | None,
        handoff: Handoff,
        text: str,
        now: datetime,
    ) -> _Done:
        """The SDR's words to the prospect, on the prospect's channel, stored as the SDR's."""

        def note(text: str) -> _Done:
            return _Done(
                [note_row(message.channel, message.address, OutboundMessage(text), now=now)]
            )

        if handoff.status == "open":
            return note(ACCEPT_FIRST)
        if handoff.status not in ("accepted", "won", "lost"):
            return note(f"This handoff is {handoff.status}; nothing was sent.")
        if sdr is not None and handoff.sdr_id is not None and sdr.id != handoff.sdr_id:
            return note(NOT_YOURS)
        lead = await get_lead(conn, handoff.lead_id)
        if lead is None or lead.opted_out:
            return note(f"{who(handoff.summary)} opted out: nothing was sent.")
        author = f"sdr:{sdr.id}" if sdr is not None else f"sdr:{message.channel}:{message.address}"
        message_id = await append_outbound(
            conn, lead.id, channel=lead.channel, text=text, author=author, now=now
        )
        row = reply_row(
            message_id=message_id,
            channel=lead.channel,
            target=lead.channel_user_id,
            message=OutboundMessage(text),
            now=now,
        )
        first = handoff.first_contact_at is None
        await set_takeover(conn, handoff.id, True, now, by=f"{message.channel}:{message.address}")
        sdr_id = sdr.id if sdr is not None else None
        if first:
            await record_event(
                conn, handoff.id, "first_contact", at=now, sdr_id=sdr_id, key="first_contact"
            )
        if not handoff.takeover:
            await record_event(conn, handoff.id, "takeover", at=now, sdr_id=sdr_id)
        return _Done([row], lead_id=lead.id)

    async def _hand_back(
        self,
        conn: Transaction,
        message: SdrMessage,
        sdr: Sdr | None,
        handoff: Handoff,
        now: datetime,
    ) -> _Done:
        await set_takeover(conn, handoff.id, False, now)
        await record_event(
            conn, handoff.id, "handback", at=now, sdr_id=sdr.id if sdr is not None else None
        )
        text = f"The bot talks to {who(handoff.summary)} again."
        rows = [note_row(message.channel, message.address, OutboundMessage(text), now=now)]
        return _Done(rows, lead_id=handoff.lead_id)
