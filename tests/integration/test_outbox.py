"""The outbox: enqueue once per key, claim with a lease, and the worker's outcomes."""

from datetime import datetime, timedelta

import pytest

from dialogs import OutboundMessage
from handoff.outbox import note_rows
from storage.database import Database
from storage.outbox import claim_due, enqueue, list_outbox, mark_dead, mark_retry, mark_sent
from storage.rows import OutboxRow

from .factories import NOW, make_outbox

LEASE = timedelta(minutes=2)


async def test_enqueueing_the_same_key_twice_stores_one_row(db: Database) -> None:
    row = make_outbox(dedup_key="reminder:h1:telegram:1001")

    async with db.transaction() as conn:
        first = await enqueue(conn, [row])
        second = await enqueue(conn, [row, make_outbox()])
        nothing = await enqueue(conn, [])

    assert (first, second, nothing) == (1, 1, 0)


async def test_only_due_rows_are_claimed_oldest_first(db: Database) -> None:
    early = make_outbox(at=NOW - timedelta(minutes=5))
    due = make_outbox(at=NOW)
    future = make_outbox(at=NOW + timedelta(minutes=1))
    async with db.transaction() as conn:
        await enqueue(conn, [due, future, early])

    async with db.transaction() as conn:
        claimed = await claim_due(conn, NOW, 10, lease=LEASE)

    assert [item.dedup_key for item in claimed] == [early.dedup_key, due.dedup_key]
    assert {(item.status, item.attempts, item.next_attempt_at) for item in claimed} == {
        ("sending", 1, NOW + LEASE)
    }


async def test_a_claimed_row_is_not_claimed_again_until_its_lease_ends(db: Database) -> None:
    async with db.transaction() as conn:
        await enqueue(conn, [make_outbox()])
        await claim_due(conn, NOW, 10, lease=LEASE)

    async with db.transaction() as conn:
        during = await claim_due(conn, NOW + LEASE - timedelta(seconds=1), 10, lease=LEASE)
        after = await claim_due(conn, NOW + LEASE, 10, lease=LEASE)

    assert during == []
    assert [item.attempts for item in after] == [2]


async def test_claims_respect_the_limit(db: Database) -> None:
    async with db.transaction() as conn:
        await enqueue(conn, [make_outbox() for _ in range(5)])

    async with db.transaction() as conn:
        first = await claim_due(conn, NOW, 3)
        rest = await claim_due(conn, NOW, 3)

    assert (len(first), len(rest)) == (3, 2)
    assert {item.id for item in first}.isdisjoint({item.id for item in rest})


# SQLite has one writer at a time, so its claims cannot overlap: PostgreSQL alone.
@pytest.mark.postgres
async def test_two_workers_claim_disjoint_rows_at_the_same_time(postgres_db: Database) -> None:
    db = postgres_db
    async with db.transaction() as conn:
        await enqueue(conn, [make_outbox() for _ in range(4)])

    # The first worker's transaction is still open (its rows locked) when the second claims.
    async with db.transaction() as first_conn:
        first = await claim_due(first_conn, NOW, 2)
        async with db.transaction() as second_conn:
            second = await claim_due(second_conn, NOW, 10)

    assert len(first) == 2
    assert len(second) == 2
    assert {item.id for item in first}.isdisjoint({item.id for item in second})


async def test_a_sent_row_is_done(db: Database) -> None:
    async with db.transaction() as conn:
        await enqueue(conn, [make_outbox()])
        [item] = await claim_due(conn, NOW, 1)

    async with db.transaction() as conn:
        sent = await mark_sent(conn, item.id, "tg:55", NOW)
        again = await mark_sent(conn, item.id, "tg:56", NOW)
        later = await claim_due(conn, NOW + timedelta(hours=1), 10)

    async with db.connection() as conn:
        [stored] = await list_outbox(conn)
    assert (sent, again, later) == (True, False, [])
    assert (stored.status, stored.sent_message_id, stored.sent_at) == ("sent", "tg:55", NOW)


async def test_a_retry_waits_until_its_time(db: Database) -> None:
    retry_at = NOW + timedelta(seconds=30)
    async with db.transaction() as conn:
        await enqueue(conn, [make_outbox()])
        [item] = await claim_due(conn, NOW, 1)

    async with db.transaction() as conn:
        retried = await mark_retry(conn, item.id, retry_at, "429: retry after 30 s")
        early = await claim_due(conn, retry_at - timedelta(seconds=1), 10)
        on_time = await claim_due(conn, retry_at, 10)

    assert retried is True
    assert early == []
    assert [(i.attempts, i.last_error) for i in on_time] == [(2, "429: retry after 30 s")]


async def test_a_dead_row_is_never_claimed_again(db: Database) -> None:
    async with db.transaction() as conn:
        await enqueue(conn, [make_outbox()])
        [item] = await claim_due(conn, NOW, 1)

    async with db.transaction() as conn:
        dead = await mark_dead(conn, item.id, "403: bot was blocked by the user")
        later = await claim_due(conn, NOW + timedelta(days=1), 10)

    async with db.connection() as conn:
        [stored] = await list_outbox(conn)
    assert (dead, later) == (True, [])
    assert (stored.status, stored.last_error) == ("dead", "403: bot was blocked by the user")


def chat_message(target: str, text: str, *, at: datetime = NOW) -> OutboxRow:
    return note_rows(channel="telegram", target=target, messages=[OutboundMessage(text)], now=at)[
        0
    ]


async def test_a_chat_gets_one_message_at_a_time_in_order(db: Database) -> None:
    async with db.transaction() as conn:
        await enqueue(conn, [chat_message("7", "one"), chat_message("7", "two")])
        await enqueue(conn, [chat_message("8", "other chat")])

    async with db.transaction() as conn:
        first = await claim_due(conn, NOW, 10)
        while_sending = await claim_due(conn, NOW, 10)
        await mark_sent(conn, first[0].id, "m1", NOW)
        after_sent = await claim_due(conn, NOW, 10)

    assert [item.payload["text"] for item in first] == ["one", "other chat"]
    assert while_sending == []
    assert [item.payload["text"] for item in after_sent] == ["two"]


async def test_a_later_message_waits_while_an_earlier_one_is_retried(db: Database) -> None:
    async with db.transaction() as conn:
        await enqueue(conn, [chat_message("7", "one"), chat_message("7", "two")])
        [first] = await claim_due(conn, NOW, 10)
        await mark_retry(conn, first.id, NOW + timedelta(seconds=30), "429")

    async with db.transaction() as conn:
        meanwhile = await claim_due(conn, NOW + timedelta(seconds=10), 10)
        retried = await claim_due(conn, NOW + timedelta(seconds=30), 10)

    assert meanwhile == []
    assert [item.payload["text"] for item in retried] == ["one"]


async def test_a_message_given_up_no_longer_holds_the_chat(db: Database) -> None:
    async with db.transaction() as conn:
        await enqueue(conn, [chat_message("7", "one"), chat_message("7", "two")])
        [first] = await claim_due(conn, NOW, 10)
        await mark_dead(conn, first.id, "blocked")

    async with db.transaction() as conn:
        after = await claim_due(conn, NOW, 10)

    assert [item.payload["text"] for item in after] == ["two"]


@pytest.mark.postgres
async def test_two_workers_never_send_a_chats_messages_at_once(postgres_db: Database) -> None:
    db = postgres_db
    async with db.transaction() as conn:
        await enqueue(conn, [chat_message("7", "one"), chat_message("7", "two")])

    # The first worker's claim is not committed yet (its row locked) when the second claims.
    async with db.transaction() as first_conn:
        first = await claim_due(first_conn, NOW, 10)
        async with db.transaction() as second_conn:
            second = await claim_due(second_conn, NOW, 10)

    assert [item.payload["text"] for item in first] == ["one"]
    assert second == []
