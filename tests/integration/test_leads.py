"""Lead reads, unreachable, erasure and the funnel, on both backends."""

from dataclasses import replace
from datetime import timedelta

from storage import models
from storage.conversations import get_conversation, load_conversation
from storage.database import Database
from storage.handoffs import get_handoff_for_lead
from storage.leads import (
    erase_lead,
    find_lead,
    funnel_counts,
    get_lead,
    list_leads,
    list_stage_changes,
    mark_unreachable,
)
from storage.messages import transcript
from storage.outbox import list_outbox
from storage.score_events import list_score_events
from storage.turns import write_turns

from .factories import NOW, count_rows, make_lead, make_turn


async def test_an_unknown_prospect_has_no_lead_or_conversation(db: Database) -> None:
    async with db.connection() as conn:
        loaded = await load_conversation(conn, "web", "nobody")
        lead = await get_lead(conn, "0" * 32)

    assert loaded is None
    assert lead is None


async def test_leads_are_listed_by_last_activity_and_filtered(db: Database) -> None:
    old = make_lead(stage="mql", band="warm", at=NOW)
    new = make_lead(stage="mql", band="hot", at=NOW + timedelta(hours=1))
    other = make_lead(stage="lead", band="cold", at=NOW + timedelta(hours=2))
    async with db.transaction() as conn:
        await write_turns(conn, [make_turn(lead) for lead in (old, new, other)])

    async with db.connection() as conn:
        everyone = await list_leads(conn)
        mqls = await list_leads(conn, stage="mql")
        hot_mqls = await list_leads(conn, stage="mql", band="hot")
        page_two = await list_leads(conn, limit=1, offset=1)

    assert [lead.id for lead in everyone] == [other.id, new.id, old.id]
    assert [lead.id for lead in mqls] == [new.id, old.id]
    assert [lead.id for lead in hot_mqls] == [new.id]
    assert [lead.id for lead in page_two] == [new.id]


async def test_a_lead_is_found_by_channel_user(db: Database) -> None:
    lead = make_lead(channel="whatsapp", user="6281234567890")
    async with db.transaction() as conn:
        await write_turns(conn, [make_turn(lead)])

    async with db.connection() as conn:
        found = await find_lead(conn, "whatsapp", "6281234567890")
        elsewhere = await find_lead(conn, "telegram", "6281234567890")

    assert found == lead
    assert elsewhere is None


async def test_a_lead_can_be_marked_unreachable(db: Database) -> None:
    lead = make_lead()
    async with db.transaction() as conn:
        await write_turns(conn, [make_turn(lead)])

    async with db.transaction() as conn:
        marked = await mark_unreachable(conn, lead.id, NOW)
        missing = await mark_unreachable(conn, "f" * 32, NOW)

    async with db.connection() as conn:
        stored = await get_lead(conn, lead.id)
    assert (marked, missing) == (True, False)
    assert stored is not None
    assert stored.unreachable is True


async def test_erasing_a_lead_forgets_what_the_prospect_said(db: Database) -> None:
    lead = make_lead(stage="sql", name="Budi", user="6281234567890")
    turn = make_turn(lead, points=(20,), handoff=True, notify=("1001",))
    async with db.transaction() as conn:
        await write_turns(conn, [turn])
    later = NOW + timedelta(days=1)

    async with db.transaction() as conn:
        erased = await erase_lead(conn, lead.id, later)

    async with db.connection() as conn:
        stored = await get_lead(conn, lead.id)
        messages = await transcript(conn, lead.id)
        events = await list_score_events(conn, lead.id)
        conversation = await get_conversation(conn, lead.id)
        handoff = await get_handoff_for_lead(conn, lead.id)
        notifications = await list_outbox(conn)
        history = await list_stage_changes(conn, lead.id)
        by_user = await find_lead(conn, lead.channel, "6281234567890")
    assert erased is True
    assert stored is not None
    assert (stored.name, stored.phone, stored.email, stored.company) == (None, None, None, None)
    assert stored.channel_user_id == f"erased:{lead.id}"
    assert (stored.stage, stored.opted_out) == ("opted_out", True)
    assert (messages, events, conversation, by_user) == ([], [], None, None)
    assert handoff is not None
    assert handoff.summary == {}
    assert [(n.status, n.payload) for n in notifications] == [("dead", {})]
    assert [(c.from_stage, c.to_stage, c.at) for c in history] == [("sql", "opted_out", later)]


async def test_erasing_an_unknown_lead_reports_false(db: Database) -> None:
    async with db.transaction() as conn:
        erased = await erase_lead(conn, "a" * 32, NOW)

    assert erased is False


async def test_the_same_prospect_after_erasure_starts_a_new_lead(db: Database) -> None:
    lead = make_lead(user="u-1")
    async with db.transaction() as conn:
        await write_turns(conn, [make_turn(lead)])
        await erase_lead(conn, lead.id, NOW)

    async with db.transaction() as conn:
        await write_turns(conn, [make_turn(make_lead(user="u-1"))])

    async with db.connection() as conn:
        leads = await count_rows(conn, models.leads)
    assert leads == 2


async def test_funnel_counts_leads_per_stage(db: Database) -> None:
    leads = [make_lead(stage=stage) for stage in ("lead", "lead", "mql", "sql")]
    async with db.transaction() as conn:
        await write_turns(conn, [make_turn(lead) for lead in leads])

    async with db.connection() as conn:
        funnel = await funnel_counts(conn)

    assert funnel == {"lead": 2, "mql": 1, "sql": 1}


async def test_stage_history_is_oldest_first(db: Database) -> None:
    lead = make_lead()
    later = NOW + timedelta(minutes=5)
    async with db.transaction() as conn:
        await write_turns(conn, [make_turn(lead, stage_to="mql")])
        await write_turns(
            conn, [make_turn(replace(lead, stage="mql"), seq=3, stage_to="sql", at=later)]
        )

    async with db.connection() as conn:
        history = await list_stage_changes(conn, lead.id)

    assert [(c.from_stage, c.to_stage) for c in history] == [("lead", "mql"), ("mql", "sql")]
