"""The group-commit write path on both backends: dedup, upserts, one handoff, outbox keys."""

from dataclasses import replace
from datetime import timedelta

from storage import models
from storage.conversations import load_conversation
from storage.database import Database
from storage.handoffs import get_handoff_for_lead
from storage.leads import get_lead
from storage.messages import transcript
from storage.outbox import list_outbox
from storage.score_events import list_score_events
from storage.turns import HandoffRefresh, release_routing, write_turns

from .factories import NOW, count_rows, make_lead, make_outbox, make_turn


async def test_a_turn_writes_lead_conversation_messages_and_ledger(db: Database) -> None:
    lead = make_lead()
    turn = make_turn(lead, points=(10, -5), stage_to="mql")

    async with db.transaction() as conn:
        duplicates = await write_turns(conn, [turn])

    async with db.connection() as conn:
        loaded = await load_conversation(conn, lead.channel, lead.channel_user_id)
        events = await list_score_events(conn, lead.id)
        messages = await transcript(conn, lead.id)
        stage_changes = await count_rows(conn, models.stage_changes)
    assert duplicates == set()
    assert loaded is not None
    assert loaded.lead == lead
    assert loaded.conversation == turn.conversation
    assert loaded.next_seq == 3
    assert [e.points for e in events] == [10, -5]
    assert events == list(turn.score_events)
    assert [(m.seq, m.direction, m.status) for m in messages] == [
        (1, "in", "received"),
        (2, "out", "pending"),
    ]
    assert messages[1].choices == [{"id": "a", "label": "A"}]
    assert stage_changes == 1


async def test_a_repeated_delivery_is_reported_and_writes_nothing(db: Database) -> None:
    lead = make_lead()
    first = make_turn(lead, inbound_id="wamid.1")
    async with db.transaction() as conn:
        await write_turns(conn, [first])
    retry = make_turn(
        replace(lead, score=90, band="hot", stage="sql"),
        seq=3,
        inbound_id="wamid.1",
        points=(40,),
        stage_to="sql",
        handoff=True,
        notify=("1001",),
    )

    async with db.transaction() as conn:
        duplicates = await write_turns(conn, [retry])

    async with db.connection() as conn:
        stored = await get_lead(conn, lead.id)
        counts = [
            await count_rows(conn, table)
            for table in (
                models.messages,
                models.score_events,
                models.stage_changes,
                models.handoffs,
                models.outbox,
            )
        ]
    assert duplicates == {0}
    assert stored == lead
    assert counts == [2, 0, 0, 0, 0]


async def test_the_same_delivery_twice_in_one_batch_is_written_once(db: Database) -> None:
    lead = make_lead()
    turns = [
        make_turn(lead, inbound_id="tg.7"),
        make_turn(replace(lead, score=50), seq=3, inbound_id="tg.7", points=(5,)),
        make_turn(make_lead(), inbound_id="tg.8"),
    ]

    async with db.transaction() as conn:
        duplicates = await write_turns(conn, turns)

    async with db.connection() as conn:
        stored = await get_lead(conn, lead.id)
        events = await list_score_events(conn, lead.id)
    assert duplicates == {1}
    assert stored is not None
    assert stored.score == lead.score
    assert events == []


async def test_a_later_turn_updates_the_lead_and_conversation(db: Database) -> None:
    lead = make_lead()
    async with db.transaction() as conn:
        await write_turns(conn, [make_turn(lead)])
    later = NOW + timedelta(minutes=3)
    updated = replace(
        lead, name="Budi Santoso", score=72, band="warm", stage="mql", last_activity_at=later
    )

    async with db.transaction() as conn:
        await write_turns(conn, [make_turn(updated, seq=3, at=later)])

    async with db.connection() as conn:
        loaded = await load_conversation(conn, lead.channel, lead.channel_user_id)
    assert loaded is not None
    assert loaded.lead == updated
    assert loaded.lead.created_at == NOW
    assert loaded.conversation is not None
    assert loaded.conversation.state_json == '{"flow_id": "bant", "turns": 3}'
    assert loaded.next_seq == 5


async def test_two_turns_of_one_lead_in_a_batch_keep_the_last_state(db: Database) -> None:
    lead = make_lead()
    later = NOW + timedelta(seconds=5)
    turns = [
        make_turn(lead),
        make_turn(replace(lead, score=60, last_activity_at=later), seq=3, at=later),
    ]

    async with db.transaction() as conn:
        duplicates = await write_turns(conn, turns)

    async with db.connection() as conn:
        loaded = await load_conversation(conn, lead.channel, lead.channel_user_id)
        messages = await transcript(conn, lead.id)
    assert duplicates == set()
    assert loaded is not None
    assert loaded.lead.score == 60
    assert [m.seq for m in messages] == [1, 2, 3, 4]


async def test_transcript_follows_seq_not_insertion_order(db: Database) -> None:
    lead = make_lead()
    async with db.transaction() as conn:
        await write_turns(conn, [make_turn(lead, seq=5), make_turn(lead, seq=1)])

    async with db.connection() as conn:
        messages = await transcript(conn, lead.id)

    assert [m.seq for m in messages] == [1, 2, 5, 6]


async def test_a_lead_gets_one_handoff_even_when_two_turns_in_a_batch_try(db: Database) -> None:
    lead = make_lead(stage="sql")
    first = make_turn(lead, handoff=True, notify=("1001",))
    second = make_turn(lead, seq=3, handoff=True, notify=("1001", "1002"))

    async with db.transaction() as conn:
        await write_turns(conn, [first, second])

    async with db.connection() as conn:
        handoff = await get_handoff_for_lead(conn, lead.id)
        handoffs = await count_rows(conn, models.handoffs)
        notifications = await list_outbox(conn)
    assert handoffs == 1
    assert handoff is not None
    assert first.handoff is not None
    assert handoff.id == first.handoff.id
    assert handoff.status == "open"
    assert handoff.summary == first.handoff.summary
    assert [n.handoff_id for n in notifications] == [first.handoff.id]


async def test_a_lead_gets_one_handoff_across_batches(db: Database) -> None:
    lead = make_lead(stage="sql")
    async with db.transaction() as conn:
        await write_turns(conn, [make_turn(lead, handoff=True, notify=("1001",))])

    async with db.transaction() as conn:
        duplicates = await write_turns(
            conn, [make_turn(lead, seq=3, handoff=True, notify=("1001",))]
        )

    async with db.connection() as conn:
        handoffs = await count_rows(conn, models.handoffs)
        notifications = await count_rows(conn, models.outbox)
        messages = await count_rows(conn, models.messages)
    assert duplicates == set()
    assert (handoffs, notifications, messages) == (1, 1, 4)


async def test_an_outbox_key_is_enqueued_once(db: Database) -> None:
    lead = make_lead()
    first = make_turn(lead, notify=("1001",))
    again = replace(make_turn(lead, seq=3), outbox=first.outbox)

    async with db.transaction() as conn:
        await write_turns(conn, [first])
    async with db.transaction() as conn:
        await write_turns(conn, [again])

    async with db.connection() as conn:
        notifications = await list_outbox(conn)
    assert [n.dedup_key for n in notifications] == [first.outbox[0].dedup_key]


async def test_a_conversation_turn_does_not_undo_a_sales_decision(db: Database) -> None:
    lead = make_lead(stage="accepted")
    async with db.transaction() as conn:
        await write_turns(conn, [make_turn(lead)])

    async with db.transaction() as conn:
        await write_turns(conn, [make_turn(replace(lead, stage="sql", score=85), seq=3)])
        await write_turns(conn, [make_turn(make_lead(stage="opted_out"), seq=1)])

    async with db.connection() as conn:
        stored = await get_lead(conn, lead.id)
    assert stored is not None
    assert (stored.stage, stored.score) == ("accepted", 85)


async def test_opting_out_overrides_a_sales_stage(db: Database) -> None:
    lead = make_lead(stage="won")
    async with db.transaction() as conn:
        await write_turns(conn, [make_turn(lead)])

    async with db.transaction() as conn:
        await write_turns(conn, [make_turn(replace(lead, stage="opted_out"), seq=3)])

    async with db.connection() as conn:
        stored = await get_lead(conn, lead.id)
    assert stored is not None
    assert stored.stage == "opted_out"


async def test_a_batch_of_only_duplicates_writes_nothing(db: Database) -> None:
    lead = make_lead()
    turn = make_turn(lead, inbound_id="x")
    async with db.transaction() as conn:
        await write_turns(conn, [turn])

    async with db.transaction() as conn:
        duplicates = await write_turns(conn, [turn, turn])
        empty = await write_turns(conn, [])

    assert duplicates == {0, 1}
    assert empty == set()


async def test_an_ended_conversation_releases_only_its_own_handoff_routing(db: Database) -> None:
    later = NOW + timedelta(minutes=3)  # the grace the pipeline gives a still-active prospect
    turns, handoff_ids = [], []
    for _ in range(3):
        lead = make_lead(stage="sql")
        turn = make_turn(lead, handoff=True)
        assert turn.handoff is not None
        handoff_ids.append(turn.handoff.id)
        route = replace(
            make_outbox(dedup_key=f"handoff:{turn.handoff.id}:route", handoff_id=turn.handoff.id),
            kind="handoff.route",
            next_attempt_at=later,
        )
        turns.append(replace(turn, outbox=(route,)))
    async with db.transaction() as conn:
        await write_turns(conn, turns)

    ended = turns[1]
    release = replace(
        make_turn(ended.lead, seq=3),
        refresh=HandoffRefresh(lead_id=ended.lead.id, summary={"done": True}, release_at=NOW),
    )
    async with db.transaction() as conn:
        await write_turns(conn, [release])

    async with db.connection() as conn:
        due = {row.handoff_id: row.next_attempt_at for row in await list_outbox(conn)}
    assert due == {handoff_ids[0]: later, handoff_ids[1]: NOW, handoff_ids[2]: later}


async def test_sqlite_finds_the_routing_to_release_by_handoff_not_among_all_pending(
    sqlite_db: Database,
) -> None:
    # Runs on every turn that ends a qualified conversation: it must not walk the pending
    # rows, which pile up while an SDR channel is down. (PostgreSQL plans from statistics;
    # SQLite has none unless ANALYZE ran, so the statement and indexes must lead it.)
    compiled = release_routing("x", NOW).compile(dialect=sqlite_db.engine.dialect)
    params = tuple(compiled.params[name] for name in compiled.positiontup or ())
    params = tuple(p.isoformat() if hasattr(p, "isoformat") else p for p in params)
    async with sqlite_db.connection() as conn:
        plan = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)
        details = [row[-1] for row in plan]
    assert any("ix_outbox_handoff_id_kind" in line for line in details), details
    assert not any("ix_outbox_status" in line for line in details), details
