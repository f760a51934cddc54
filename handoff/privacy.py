"""Erasing a lead's personal data (UU PDP): on request (the prospect's "hapus data saya", an
admin's `qualibot leads erase ID`) or after `QUALIBOT_RETENTION__DAYS` without activity. The
lead row stays, anonymous, so counts and the funnel still add up; a `lead.erased` CRM event
goes out in the same transaction."""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from handoff.crm import CrmEvents
from storage import outbox as outbox_store
from storage.database import Transaction
from storage.leads import erase_lead, inactive_leads, is_erased

Job = Callable[[Transaction], Awaitable[Any]]
Run = Callable[[Job], Awaitable[Any]]


async def erase(
    conn: Transaction, lead_id: str, *, now: datetime, crm: CrmEvents, why: str
) -> bool:
    """Erase one lead in the caller's transaction; False if unknown or erased already."""
    if await is_erased(conn, lead_id) is not False:
        return False
    await erase_lead(conn, lead_id, now)
    await outbox_store.enqueue(
        conn, crm.rows("lead.erased", {"lead_id": lead_id, "why": why}, now=now)
    )
    return True


async def erase_inactive(
    run: Run, *, now: datetime, days: int | None, crm: CrmEvents
) -> list[dict[str, Any]]:
    """Erase every lead inactive for `days` (None: keep everything); one action each."""
    if days is None:
        return []
    before = now - timedelta(days=days)
    ids: list[str] = await run(lambda conn: inactive_leads(conn, before))
    actions: list[dict[str, Any]] = []
    for lead_id in ids:

        async def one(conn: Transaction, lead_id: str = lead_id) -> bool:
            return await erase(conn, lead_id, now=now, crm=crm, why="retention")

        if await run(one):
            actions.append({"job": "retention.erase", "lead_id": lead_id, "at": now.isoformat()})
    return actions
