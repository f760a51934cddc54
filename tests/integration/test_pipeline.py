"""The message pipeline on a real database: order per lead, dedup, one commit per turn."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import orjson
import pytest

from bot.pipeline import Pipeline
from dialogs import Channel, InboundMessage, load_flow
from storage import leads, messages
from storage.conversations import get_conversation
from storage.database import Database
from storage.writer import Writer

NOW = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)


@pytest.fixture
async def pipeline(db: Database) -> AsyncIterator[Pipeline]:
    writer = Writer(db)
    await writer.start()
    yield Pipeline(db, writer, load_flow(), clock=lambda: NOW)
    await writer.stop()


def inbound(user: str, message_id: str, text: str) -> InboundMessage:
    return InboundMessage(
        channel=Channel.WEB, channel_user_id=user, message_id=message_id, sent_at=NOW, text=text
    )


async def test_messages_of_one_prospect_are_handled_in_arrival_order(
    pipeline: Pipeline, db: Database
) -> None:
    script = ["Halo", "ya", "Budi", "PT Contoh", "saya owner"]
    tasks = [
        asyncio.create_task(pipeline.handle(inbound(f"p{n}", f"p{n}-{i}", text)))
        for n in range(100)
        for i, text in enumerate(script)
    ]

    outcomes = await asyncio.gather(*tasks)

    assert not any(o.duplicate for o in outcomes)
    async with db.connection() as conn:
        for n in (0, 37, 99):
            lead = await leads.find_lead(conn, "web", f"p{n}")
            assert lead is not None
            stored = await messages.transcript(conn, lead.id)
            assert [m.text for m in stored if m.direction == "in"] == script
            assert [m.seq for m in stored] == list(range(1, len(stored) + 1))


async def test_a_retried_message_is_acknowledged_and_not_processed_again(
    pipeline: Pipeline, db: Database
) -> None:
    first = await pipeline.handle(inbound("u", "m1", "Halo"))

    again = await asyncio.gather(*(pipeline.handle(inbound("u", "m1", "Halo")) for _ in range(5)))

    assert first.replies
    assert not first.duplicate
    assert all(o.duplicate and o.replies == () for o in again)
    async with db.connection() as conn:
        lead = await leads.find_lead(conn, "web", "u")
        assert lead is not None
        assert len(await messages.transcript(conn, lead.id)) == 2


async def test_a_new_process_still_refuses_a_stored_message(db: Database) -> None:
    flow = load_flow()
    writer = Writer(db)
    await writer.start()
    await Pipeline(db, writer, flow, clock=lambda: NOW).handle(inbound("u", "m1", "Halo"))
    restarted = Pipeline(db, writer, flow, clock=lambda: NOW)  # empty memory

    outcome = await restarted.handle(inbound("u", "m1", "Halo"))
    follow_up = await restarted.handle(inbound("u", "m2", "ya"))
    await writer.stop()

    assert outcome.duplicate
    assert follow_up.replies[0].text == "Terima kasih! Dengan siapa saya berbicara?"


async def test_a_new_process_scores_from_the_stored_ledger(db: Database) -> None:
    flow = load_flow()
    writer = Writer(db)
    await writer.start()
    first = Pipeline(db, writer, flow, clock=lambda: NOW)
    answers = ["Halo", "ya", "Budi", "PT Maju", "saya owner, saya yang memutuskan"]
    for n, text in enumerate(answers):
        before = await first.handle(inbound("u", f"m{n}", text))
    restarted = Pipeline(db, writer, flow, clock=lambda: NOW)  # empty memory

    again = await restarted.handle(inbound("u", "m4", answers[-1]))
    async with db.connection() as conn:
        lead = await leads.find_lead(conn, "web", "u")
        assert lead is not None
        stored = await get_conversation(conn, lead.id)
    await writer.stop()

    # the decision maker's fit points came back from score_events, not from the state JSON
    assert before.score > 25
    assert (again.duplicate, again.score, again.band) == (True, before.score, before.band)
    assert stored is not None
    assert "ledger" not in orjson.loads(stored.state_json)
