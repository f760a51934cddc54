"""Many prospects at once over HTTP: nothing lost, nothing doubled, order kept per prospect."""

import asyncio

from bot.app import DB
from storage import leads, messages
from tests.e2e.conftest import AppClient, chat

PROSPECTS = 200
SCRIPT = ["Halo", "ya", "Budi", "PT Contoh"]


async def test_200_prospects_at_once_lose_and_double_nothing(client: AppClient) -> None:
    async def prospect(n: int) -> None:
        for i, text in enumerate(SCRIPT):
            await chat(client, f"p{n}", f"p{n}-{i}", text)

    async def retry_storm(n: int) -> None:
        # the same messages again, concurrently: a platform retrying
        await asyncio.gather(
            *(chat(client, f"p{n}", f"p{n}-{i}", t) for i, t in enumerate(SCRIPT))
        )

    await asyncio.gather(*(prospect(n) for n in range(PROSPECTS)))
    await asyncio.gather(*(retry_storm(n) for n in range(0, PROSPECTS, 10)))

    async with client.app[DB].connection() as conn:
        listed = await leads.list_leads(conn, limit=1000)
        assert len(listed) == PROSPECTS
        for lead in listed[:50]:
            inbound = [
                m.text for m in await messages.transcript(conn, lead.id) if m.direction == "in"
            ]
            assert inbound == SCRIPT
