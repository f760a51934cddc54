"""WhatsApp end to end, the hard parts: forgeries, duplicates, order, statuses, errors, window."""

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web

from bot.app import BACKGROUND, DB, WORKER
from storage import leads as lead_store
from storage import messages as message_store
from storage import outbox as outbox_store
from storage import score_events as score_store
from storage.messages import StoredMessage
from tests.e2e.test_whatsapp_conversation import (
    BUDI,
    VERIFY_TOKEN,
    AppClient,
    Meta,
    converse_to_sql,
    meta_harness,
)
from tests.fakes.graph_api import (
    Failure,
    FakeGraph,
    new_wamid,
    status,
    status_webhook,
    text_message,
    value,
    webhook,
)

MakeClient = Callable[[web.Application], Awaitable[AppClient]]


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        yield fake


@pytest.fixture
async def meta(graph: FakeGraph, aiohttp_client: MakeClient, tmp_path: Path) -> Meta:
    return await meta_harness(aiohttp_client, graph, tmp_path)


async def transcript(meta: Meta, user: str = BUDI) -> list[StoredMessage]:
    lead = await meta.lead(user)
    async with meta.app[DB].connection() as conn:
        return await message_store.transcript(conn, lead.id)


async def outbox_rows(meta: Meta) -> list[outbox_store.OutboxItem]:
    async with meta.app[DB].connection() as conn:
        return await outbox_store.list_outbox(conn)


# --- authenticity ------------------------------------------------------------------------


async def test_verification_handshake_echoes_the_challenge(meta: Meta) -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": VERIFY_TOKEN,
        "hub.challenge": "1158201444",
    }

    response = await meta.client.get("/webhooks/whatsapp", params=query)

    assert (response.status, await response.text()) == (200, "1158201444")


async def test_verification_with_a_wrong_token_is_refused(meta: Meta) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}

    response = await meta.client.get("/webhooks/whatsapp", params=query)

    assert response.status == 403


async def test_forged_signature_is_refused_and_nothing_is_stored(meta: Meta) -> None:
    body = webhook(value(messages=[text_message(BUDI, "Halo", timestamp=meta.now_ts())]))

    forged = await meta.post(body, signature="sha256=" + "0" * 64)
    unsigned = await meta.post(body, signature="")

    async with meta.app[DB].connection() as conn:
        lead = await lead_store.find_lead(conn, "whatsapp", BUDI)
    assert (forged, unsigned) == (401, 401)
    assert lead is None
    assert meta.graph.requests == []


# --- duplicates and order ----------------------------------------------------------------


async def test_duplicate_delivery_is_processed_once(meta: Meta) -> None:
    body = webhook(value(messages=[text_message(BUDI, "Halo", timestamp=meta.now_ts())]))

    first = await meta.post(body)
    again = await meta.post(body)

    assert (first, again) == (200, 200)
    assert len(meta.graph.sent_to(BUDI)) == 1
    assert [m.direction for m in await transcript(meta)] == ["in", "out"]


async def test_redelivery_after_a_restart_is_caught_by_the_database(
    aiohttp_client: MakeClient, graph: FakeGraph, tmp_path: Path
) -> None:
    first_run = await meta_harness(aiohttp_client, graph, tmp_path)
    body = webhook(value(messages=[text_message(BUDI, "Halo", timestamp=first_run.now_ts())]))
    await first_run.post(body)
    await first_run.client.close()

    second_run = await meta_harness(aiohttp_client, graph, tmp_path)
    status_code = await second_run.post(body)

    assert status_code == 200
    assert len(graph.sent_to(BUDI)) == 1


async def test_messages_in_one_webhook_are_handled_in_timestamp_order(meta: Meta) -> None:
    await meta.text(BUDI, "Halo")
    await meta.press(BUDI, "yes", "Ya")
    ts = meta.now_ts()
    company = text_message(BUDI, "PT Maju Jaya", timestamp=ts + 1)
    role = text_message(BUDI, "saya owner, saya yang memutuskan", timestamp=ts + 2)

    await meta.post(webhook(value(messages=[role, company], names={BUDI: "Budi Santoso"})))

    lead = await meta.lead(BUDI)
    inbound = [m.text for m in await transcript(meta) if m.direction == "in"]
    assert lead.company == "PT Maju Jaya"
    assert inbound[-2:] == ["PT Maju Jaya", "saya owner, saya yang memutuskan"]


async def test_status_before_its_message_row_exists_is_tolerated(meta: Meta) -> None:
    early = status_webhook(status("wamid.NOT_YET_STORED=", "read", BUDI))

    code = await meta.post(early)
    await meta.text(BUDI, "Halo")

    assert code == 200
    assert [m.status for m in await transcript(meta)] == ["received", "sent"]


async def test_batched_webhook_processes_every_message_of_every_entry(meta: Meta) -> None:
    people = ["6281200000001", "6281200000002", "6281200000003", "6281200000004"]
    values = [
        value(messages=[text_message(p, "Halo", timestamp=meta.now_ts())], names={p: f"P{i}"})
        for i, p in enumerate(people)
    ]

    await meta.post(webhook(*values, entries=2))

    assert [len(meta.graph.sent_to(p)) for p in people] == [1, 1, 1, 1]
    assert [(await meta.lead(p)).channel_user_id for p in people] == people


# --- statuses ----------------------------------------------------------------------------


async def test_read_receipt_raises_the_score(meta: Meta) -> None:
    await meta.text(BUDI, "Halo")
    await meta.press(BUDI, "yes", "Ya")
    before = await meta.lead(BUDI)
    [*_, reply] = await transcript(meta)
    assert reply.channel_message_id is not None

    await meta.post(status_webhook(status(reply.channel_message_id, "read", BUDI)))

    after = await meta.lead(BUDI)
    async with meta.app[DB].connection() as conn:
        events = await score_store.list_score_events(conn, after.id)
    assert after.score == before.score + 1
    assert [e.rule_id for e in events].count("engagement.read") == 1
    assert (await transcript(meta))[-1].status == "read"


async def test_statuses_never_move_backwards_and_failures_keep_their_code(meta: Meta) -> None:
    await meta.text(BUDI, "Halo")
    [_, reply] = await transcript(meta)
    wamid = reply.channel_message_id or ""

    await meta.post(status_webhook(status(wamid, "read", BUDI), status(wamid, "delivered", BUDI)))
    read = (await transcript(meta))[-1].status
    await meta.post(status_webhook(status(wamid, "failed", BUDI, error_code=131026)))

    failed = (await transcript(meta))[-1]
    assert read == "read"
    assert (failed.status, failed.error_code) == ("failed", "131026")
    assert (await meta.lead(BUDI)).unreachable


# --- errors and the 24-hour window -------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "wait"),
    [pytest.param("130429", 11, id="throughput"), pytest.param("131056", 2, id="pair-rate")],
)
async def test_reply_after_a_rate_limit_is_delivered_later_once(
    meta: Meta, code: Failure, wait: int
) -> None:
    meta.graph.fail(code, kind="interactive")

    await meta.text(BUDI, "Halo")
    queued = await outbox_rows(meta)
    meta.clock.advance(timedelta(seconds=wait))
    await meta.run_outbox_until(lambda: bool(meta.graph.sent_to(BUDI)))
    await meta.run_outbox_until(lambda: True, rounds=3)

    [greeting] = meta.graph.sent_to(BUDI)
    [row] = await outbox_rows(meta)
    assert [r.kind for r in queued] == ["reply"]
    assert greeting["interactive"]["type"] == "button"
    assert row.status == "sent"
    assert (await transcript(meta))[-1].channel_message_id == row.sent_message_id


async def test_message_older_than_a_day_is_answered_with_the_template(meta: Meta) -> None:
    stale = meta.now_ts() - int(timedelta(hours=25).total_seconds())

    await meta.say(BUDI, text_message(BUDI, "Halo", timestamp=stale))

    [sent] = meta.graph.sent_to(BUDI)
    assert sent["type"] == "template"
    assert sent["template"]["name"] == "qualibot_followup"
    assert sent["template"]["language"]["code"] == "id"


async def test_queued_reply_outside_the_window_goes_out_as_the_template(meta: Meta) -> None:
    meta.graph.fail("130429", kind="interactive")
    await meta.text(BUDI, "Halo")

    meta.clock.advance(timedelta(hours=25))
    await meta.run_outbox_until(lambda: bool(meta.graph.sent_to(BUDI)))

    [sent] = meta.graph.sent_to(BUDI)
    assert sent["type"] == "template"
    assert [r.status for r in await outbox_rows(meta)] == ["sent"]


async def test_window_closed_by_meta_switches_the_next_reply_to_the_template(
    meta: Meta,
) -> None:
    await meta.text(BUDI, "Halo")
    [_, reply] = await transcript(meta)
    failed = status(reply.channel_message_id or "", "failed", BUDI, error_code=131047)
    await meta.post(status_webhook(failed))

    # A late redelivery of an older message: the window stays closed.
    old = meta.now_ts() - 60
    await meta.say(BUDI, text_message(BUDI, "ya", timestamp=old))

    assert (await transcript(meta))[1].error_code == "131047"
    assert meta.graph.sent_to(BUDI)[-1]["type"] == "template"


async def test_without_a_template_replies_outside_the_window_are_given_up_with_a_reason(
    aiohttp_client: MakeClient, graph: FakeGraph, tmp_path: Path
) -> None:
    meta = await meta_harness(aiohttp_client, graph, tmp_path, reengage_template="")
    stale = meta.now_ts() - int(timedelta(hours=30).total_seconds())

    await meta.say(BUDI, text_message(BUDI, "Halo", timestamp=stale, wamid=new_wamid()))

    [_, reply] = await transcript(meta)
    assert graph.sent_to(BUDI) == []
    assert (reply.status, reply.error_code) == ("failed", "131047")


async def test_expired_token_is_not_retried_in_a_loop(meta: Meta) -> None:
    meta.graph.fail("190", kind="interactive", times=50)

    await meta.text(BUDI, "Halo")
    for _ in range(5):
        await meta.app[WORKER].run_once()
    [row] = await outbox_rows(meta)

    assert row.status == "pending"
    assert row.attempts == 1
    assert row.next_attempt_at >= meta.clock.now + timedelta(minutes=59)


async def test_handoff_to_an_sdr_waits_for_a_new_token(meta: Meta) -> None:
    meta.graph.fail("190", kind="template", times=50)

    await converse_to_sql(meta)
    for _ in range(10):
        await meta.app[WORKER].run_once()
        await meta.app[BACKGROUND].drain()

    [notification] = [r for r in await outbox_rows(meta) if r.kind == "handoff.deliver"]
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert notification.next_attempt_at >= meta.clock.now + timedelta(minutes=59)
