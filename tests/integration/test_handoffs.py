"""Handoffs: reads, the inbox list, SDR decisions and their rules, on both backends."""

from datetime import datetime, timedelta

import pytest

from storage.database import Database
from storage.handoffs import (
    Decision,
    assign_sdr,
    decide_handoff,
    get_handoff,
    get_handoff_for_lead,
    list_handoffs,
    set_delivery,
)
from storage.leads import get_lead, list_stage_changes
from storage.sdrs import add_sdr
from storage.turns import write_turns

from .factories import NOW, make_lead, make_turn

DECIDED = NOW + timedelta(minutes=10)


async def _handoff(db: Database, name: str = "Budi", at: datetime = NOW) -> tuple[str, str]:
    lead = make_lead(stage="sql", name=name, score=82, band="hot", at=at)
    turn = make_turn(lead, handoff=True, at=at)
    async with db.transaction() as conn:
        await write_turns(conn, [turn])
    if turn.handoff is None:
        raise AssertionError("the factory made no handoff")
    return lead.id, turn.handoff.id


async def test_a_handoff_is_found_by_id_and_by_lead(db: Database) -> None:
    lead_id, handoff_id = await _handoff(db)

    async with db.connection() as conn:
        by_id = await get_handoff(conn, handoff_id)
        by_lead = await get_handoff_for_lead(conn, lead_id)
        missing = await get_handoff(conn, "0" * 32)

    assert by_id is not None
    assert by_id == by_lead
    assert (by_id.status, by_id.due_at, by_id.delivery) == ("open", NOW + timedelta(hours=1), None)
    assert missing is None


async def test_the_inbox_lists_handoffs_newest_first_with_their_lead(db: Database) -> None:
    await _handoff(db, "Budi", NOW)
    _, newer = await _handoff(db, "Sari", NOW + timedelta(minutes=1))

    async with db.transaction() as conn:
        await decide_handoff(conn, newer, "accepted", by="sdr:1", at=DECIDED)
    async with db.connection() as conn:
        everything = await list_handoffs(conn)
        open_only = await list_handoffs(conn, status="open")

    assert [(h.lead_name, h.company, h.score, h.band, h.status) for h in everything] == [
        ("Sari", "PT Maju", 82, "hot", "accepted"),
        ("Budi", "PT Maju", 82, "hot", "open"),
    ]
    assert [h.lead_name for h in open_only] == ["Budi"]


async def test_accepting_records_who_when_and_moves_the_lead(db: Database) -> None:
    lead_id, handoff_id = await _handoff(db)

    async with db.transaction() as conn:
        changed = await decide_handoff(conn, handoff_id, "accepted", by="sdr:7", at=DECIDED)

    async with db.connection() as conn:
        handoff = await get_handoff(conn, handoff_id)
        lead = await get_lead(conn, lead_id)
        history = await list_stage_changes(conn, lead_id)
    assert changed is True
    assert handoff is not None
    assert (handoff.status, handoff.decided_by, handoff.decided_at) == (
        "accepted",
        "sdr:7",
        DECIDED,
    )
    assert lead is not None
    assert lead.stage == "accepted"
    assert [(c.from_stage, c.to_stage) for c in history] == [("sql", "accepted")]


async def test_a_rejection_keeps_its_reason(db: Database) -> None:
    _, handoff_id = await _handoff(db)

    async with db.transaction() as conn:
        await decide_handoff(
            conn, handoff_id, "rejected", by="sdr:7", at=DECIDED, reason="student project"
        )

    async with db.connection() as conn:
        handoff = await get_handoff(conn, handoff_id)
    assert handoff is not None
    assert (handoff.status, handoff.reject_reason) == ("rejected", "student project")


@pytest.mark.parametrize(
    ("first", "then", "changed"),
    [
        ("accepted", "accepted", False),
        ("accepted", "rejected", False),
        ("rejected", "accepted", False),
        ("rejected", "won", False),
        ("accepted", "won", True),
        ("accepted", "lost", True),
    ],
)
async def test_decisions_follow_the_handoff_lifecycle(
    db: Database, first: Decision, then: Decision, changed: bool
) -> None:
    _, handoff_id = await _handoff(db)
    async with db.transaction() as conn:
        await decide_handoff(conn, handoff_id, first, by="sdr:1", at=DECIDED)

    async with db.transaction() as conn:
        result = await decide_handoff(conn, handoff_id, then, by="sdr:2", at=DECIDED)

    async with db.connection() as conn:
        handoff = await get_handoff(conn, handoff_id)
    assert result is changed
    assert handoff is not None
    assert handoff.status == (then if changed else first)


async def test_won_or_lost_needs_an_accepted_handoff(db: Database) -> None:
    _, handoff_id = await _handoff(db)

    async with db.transaction() as conn:
        won = await decide_handoff(conn, handoff_id, "won", by="sdr:1", at=DECIDED)
        unknown = await decide_handoff(conn, "9" * 32, "accepted", by="sdr:1", at=DECIDED)

    assert (won, unknown) == (False, False)


async def test_an_open_handoff_can_be_assigned_and_its_delivery_recorded(db: Database) -> None:
    _, handoff_id = await _handoff(db)

    async with db.transaction() as conn:
        sdr_id = await add_sdr(conn, "Rina", now=NOW, telegram_chat_id="1001")
        assigned = await assign_sdr(conn, handoff_id, sdr_id)
        delivered = await set_delivery(conn, handoff_id, {"telegram:1001": "sent"})

    async with db.connection() as conn:
        handoff = await get_handoff(conn, handoff_id)
    assert (assigned, delivered) == (True, True)
    assert handoff is not None
    assert (handoff.sdr_id, handoff.delivery) == (sdr_id, {"telegram:1001": "sent"})
