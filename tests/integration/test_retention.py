"""Retention: leads inactive longer than QUALIBOT_RETENTION__DAYS lose their personal data,
once, with a lead.erased CRM event; active leads keep theirs."""

from datetime import timedelta
from typing import Any

from handoff.crm import CrmEvents
from handoff.jobs import Job
from handoff.privacy import erase_inactive
from storage.database import Database
from storage.leads import get_lead
from storage.outbox import list_outbox
from storage.turns import write_turns
from tests.integration.factories import NOW, make_lead, make_turn

CRM = CrmEvents(urls=("https://crm.example.com/hook",))


def runner(db: Database) -> Any:
    async def run(job: Job) -> Any:
        async with db.transaction() as conn:
            return await job(conn)

    return run


async def test_inactive_leads_are_erased_once_and_the_crm_is_told(db: Database) -> None:
    old = make_lead(at=NOW - timedelta(days=40))
    recent = make_lead(at=NOW - timedelta(days=3))
    async with db.transaction() as conn:
        await write_turns(
            conn, [make_turn(old, at=old.created_at), make_turn(recent, at=recent.created_at)]
        )

    first = await erase_inactive(runner(db), now=NOW, days=30, crm=CRM)
    again = await erase_inactive(runner(db), now=NOW, days=30, crm=CRM)
    kept = await erase_inactive(runner(db), now=NOW, days=None, crm=CRM)

    assert [a["lead_id"] for a in first] == [old.id]
    assert again == kept == []
    async with db.connection() as conn:
        erased, alive = await get_lead(conn, old.id), await get_lead(conn, recent.id)
        events = [row.payload["event"] for row in await list_outbox(conn) if row.kind == "crm"]
    assert erased is not None
    assert alive is not None
    assert (erased.name, erased.phone, alive.name) == (None, None, "Budi")
    assert [(e["type"], e["data"]["why"]) for e in events] == [("lead.erased", "retention")]
