"""SLA jobs on both backends: a reminder at 1x, a reassignment at 2x, each once; and on
PostgreSQL, two schedulers running at the same time take each step once between them."""

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from handoff.assignment import assign_next
from handoff.crm import CrmEvents
from handoff.jobs import Job, SlaSetup, escalation_targets, run_due
from storage.database import Database
from storage.handoff_events import list_events
from storage.handoffs import get_handoff, get_handoff_for_lead
from storage.outbox import list_outbox
from storage.sdrs import add_sdr, list_sdrs, set_available
from storage.turns import write_turns
from tests.integration.factories import NOW, make_lead, make_turn

SETUP = SlaSetup(channels=frozenset({"telegram"}))


def runner(db: Database) -> Any:
    async def run(job: Job) -> Any:
        async with db.transaction() as conn:
            return await job(conn)

    return run


async def seed(db: Database, leads: int = 1) -> list[str]:
    """Two SDRs (Rina, Andi) and `leads` handoffs routed to them at NOW; the handoff ids."""
    ids: list[str] = []
    async with db.transaction() as conn:
        await add_sdr(conn, "Rina", now=NOW, telegram_chat_id="101")
        await add_sdr(conn, "Andi", now=NOW, telegram_chat_id="102")
        for _ in range(leads):
            lead = make_lead(stage="sql")
            await write_turns(conn, [make_turn(lead, handoff=True)])
            handoff = await get_handoff_for_lead(conn, lead.id)
            assert handoff is not None
            await assign_next(conn, handoff, now=NOW)
            ids.append(handoff.id)
    return ids


async def test_a_reminder_at_once_the_accept_time_and_only_once(db: Database) -> None:
    await seed(db)

    early = await run_due(runner(db), now=NOW + timedelta(minutes=4), setup=SETUP)
    first = await run_due(runner(db), now=NOW + timedelta(minutes=6), setup=SETUP)
    again = await run_due(runner(db), now=NOW + timedelta(minutes=6), setup=SETUP)

    assert early == []
    assert [(a["job"], a["sdr"], a["messages"]) for a in first] == [("sla.remind", "Rina", 1)]
    assert again == []
    async with db.connection() as conn:
        notes = [row for row in await list_outbox(conn) if row.kind == "note"]
    assert [(n.target, n.payload["text"][:10]) for n in notes] == [("101", "⏰ Reminder")]


async def test_at_twice_the_time_the_next_sdr_gets_the_notice_and_the_first_is_told(
    db: Database,
) -> None:
    [handoff_id] = await seed(db)

    moved = await run_due(runner(db), now=NOW + timedelta(minutes=11), setup=SETUP)
    again = await run_due(runner(db), now=NOW + timedelta(minutes=11), setup=SETUP)

    assert [(a["job"], a["to_sdr"]) for a in moved] == [("sla.reassign", "Andi")]
    assert again == []
    async with db.connection() as conn:
        handoff = await get_handoff(conn, handoff_id)
        rows = await list_outbox(conn)
        steps = [e.kind for e in await list_events(conn, handoff_id)]
    assert handoff is not None
    assert (handoff.assignment, handoff.assigned_at) == (2, NOW + timedelta(minutes=11))
    assert [(r.kind, r.target) for r in rows if r.kind != "handoff"] == [
        ("handoff.deliver", "102"),
        ("note", "101"),
    ]
    assert steps == ["assigned", "reassign", "reassigned"]


async def test_an_sdr_who_is_away_is_skipped_and_nobody_else_means_it_stays(
    db: Database,
) -> None:
    [handoff_id] = await seed(db)
    async with db.transaction() as conn:
        rina, andi = await list_sdrs(conn)
        await set_available(conn, andi.id, False)  # Andi is away

    moved = await run_due(runner(db), now=NOW + timedelta(minutes=11), setup=SETUP)

    assert [(a["job"], a["to_sdr_id"]) for a in moved] == [("sla.reassign", None)]
    async with db.connection() as conn:
        handoff = await get_handoff(conn, handoff_id)
    assert handoff is not None
    assert (handoff.sdr_id, handoff.assignment) == (rina.id, 1)


@pytest.mark.postgres
async def test_two_schedulers_at_once_take_each_step_once(postgres_db: Database) -> None:
    ids = await seed(postgres_db, leads=6)
    later = NOW + timedelta(minutes=6)

    results = await asyncio.gather(
        *(run_due(runner(postgres_db), now=later, setup=SETUP) for _ in range(3))
    )

    taken = sorted(a["handoff_id"] for actions in results for a in actions)
    assert taken == sorted(ids)
    async with postgres_db.connection() as conn:
        reminders = [
            e for handoff_id in ids for e in await list_events(conn, handoff_id)
            if e.kind == "remind"
        ]  # fmt: skip
        notes = [row for row in await list_outbox(conn) if row.kind == "note"]
    assert len(reminders) == len(notes) == len(ids)


async def test_escalation_chats_hear_of_a_reassignment_and_the_crm_too(db: Database) -> None:
    await seed(db)
    setup = SlaSetup(
        channels=frozenset({"telegram"}),
        escalation=escalation_targets(["-100999", "whatsapp:+628111"]),
        crm=CrmEvents(urls=("https://crm.example.com/hook",)),
    )

    await run_due(runner(db), now=NOW + timedelta(minutes=11), setup=setup)

    async with db.connection() as conn:
        rows = await list_outbox(conn)
    manager = [r for r in rows if r.kind == "note" and r.target == "-100999"]
    assert len(manager) == 1
    assert "reassigned to Andi" in manager[0].payload["text"]
    assert not [r for r in rows if r.channel == "whatsapp"]  # not a channel of this setup
    [event] = [r.payload["event"] for r in rows if r.kind == "crm"]
    assert event["type"] == "handoff.reassigned"
    assert (event["data"]["from_sdr"]["name"], event["data"]["to_sdr"]["name"]) == ("Rina", "Andi")
