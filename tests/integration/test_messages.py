"""Outbound delivery status: sent ids, receipts in any order, failures."""

from datetime import timedelta

from storage.database import Database
from storage.messages import (
    latest,
    record_failed,
    record_sent,
    transcript,
    update_status_by_channel_id,
)
from storage.turns import write_turns

from .factories import NOW, make_lead, make_turn

LATER = NOW + timedelta(seconds=2)


async def _one_sent_reply(db: Database) -> tuple[str, str]:
    lead = make_lead(channel="whatsapp")
    turn = make_turn(lead)
    async with db.transaction() as conn:
        await write_turns(conn, [turn])
        await record_sent(conn, [(turn.outbound[0].id, "wamid.OUT1")], NOW)
    return lead.id, turn.outbound[0].id


async def test_a_sent_reply_gets_its_platform_id(db: Database) -> None:
    lead_id, message_id = await _one_sent_reply(db)

    async with db.connection() as conn:
        reply = (await transcript(conn, lead_id))[1]

    assert (reply.id, reply.channel_message_id, reply.status) == (message_id, "wamid.OUT1", "sent")
    assert reply.status_at == NOW


async def test_receipts_move_status_forward(db: Database) -> None:
    lead_id, _ = await _one_sent_reply(db)

    async with db.transaction() as conn:
        delivered = await update_status_by_channel_id(
            conn, "whatsapp", "wamid.OUT1", "delivered", LATER
        )
        read = await update_status_by_channel_id(conn, "whatsapp", "wamid.OUT1", "read", LATER)

    async with db.connection() as conn:
        reply = (await transcript(conn, lead_id))[1]
    assert (delivered, read) == (lead_id, lead_id)
    assert reply.status == "read"


async def test_a_late_sent_receipt_after_read_keeps_read(db: Database) -> None:
    lead_id, _ = await _one_sent_reply(db)
    async with db.transaction() as conn:
        await update_status_by_channel_id(conn, "whatsapp", "wamid.OUT1", "read", LATER)

    async with db.transaction() as conn:
        sent = await update_status_by_channel_id(conn, "whatsapp", "wamid.OUT1", "sent", LATER)
        delivered = await update_status_by_channel_id(
            conn, "whatsapp", "wamid.OUT1", "delivered", LATER
        )

    async with db.connection() as conn:
        reply = (await transcript(conn, lead_id))[1]
    assert (sent, delivered) == (None, None)
    assert reply.status == "read"


async def test_a_failure_is_always_recorded_with_its_code(db: Database) -> None:
    lead_id, _ = await _one_sent_reply(db)
    async with db.transaction() as conn:
        await update_status_by_channel_id(conn, "whatsapp", "wamid.OUT1", "delivered", LATER)

    async with db.transaction() as conn:
        failed = await update_status_by_channel_id(
            conn, "whatsapp", "wamid.OUT1", "failed", LATER, error_code="131047"
        )
        read_after = await update_status_by_channel_id(
            conn, "whatsapp", "wamid.OUT1", "read", LATER
        )

    async with db.connection() as conn:
        reply = (await transcript(conn, lead_id))[1]
    assert (failed, read_after) == (lead_id, None)
    assert (reply.status, reply.error_code) == ("failed", "131047")


async def test_receipts_for_unknown_messages_or_statuses_are_ignored(db: Database) -> None:
    await _one_sent_reply(db)

    async with db.transaction() as conn:
        unknown_id = await update_status_by_channel_id(conn, "whatsapp", "nope", "read", LATER)
        other_channel = await update_status_by_channel_id(
            conn, "telegram", "wamid.OUT1", "read", LATER
        )
        odd_status = await update_status_by_channel_id(
            conn, "whatsapp", "wamid.OUT1", "deleted", LATER
        )

    assert (unknown_id, other_channel, odd_status) == (None, None, None)


async def test_a_reply_that_could_not_be_sent_is_marked_failed(db: Database) -> None:
    lead = make_lead()
    turn = make_turn(lead)
    async with db.transaction() as conn:
        await write_turns(conn, [turn])

    async with db.transaction() as conn:
        marked = await record_failed(conn, turn.outbound[0].id, "blocked", LATER)
        await record_sent(conn, [], LATER)

    async with db.connection() as conn:
        reply = (await transcript(conn, lead.id))[1]
    assert marked is True
    assert (reply.status, reply.error_code, reply.channel_message_id) == (
        "failed",
        "blocked",
        None,
    )


async def test_latest_gives_the_last_messages_in_conversation_order(db: Database) -> None:
    lead = make_lead()
    turns = [make_turn(lead, seq=1, replies=("q1",)), make_turn(lead, seq=3, replies=("q2",))]
    async with db.transaction() as conn:
        await write_turns(conn, turns)

    async with db.connection() as conn:
        last = await latest(conn, lead.id, 3)
        none = await latest(conn, "no-such-lead", 3)

    assert [(m.seq, m.direction, m.text) for m in last] == [
        (2, "out", "q1"),
        (3, "in", "halo"),
        (4, "out", "q2"),
    ]
    assert none == []
