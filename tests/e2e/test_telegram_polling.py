"""Polling mode: the same app fetching updates with getUpdates instead of a webhook."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.test_telegram_conversation import (
    PROSPECT,
    Clock,
    MakeClient,
    Rig,
    start_rig,
    telegram_settings,
)
from tests.fakes.telegram_api import FakeTelegram, text_update


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        fake.webhook = {"url": "https://old.example.com/webhooks/telegram"}  # left from before
        yield fake


@pytest.fixture
async def rig(aiohttp_client: MakeClient, tmp_path: Path, fake: FakeTelegram) -> Rig:
    settings = telegram_settings(tmp_path, fake, mode="polling", webhook_secret=None)
    return await start_rig(aiohttp_client, settings, fake, Clock())


async def replies_to(fake: FakeTelegram, chat: int, count: int) -> list[str]:
    for _ in range(250):
        if len(fake.texts_to(chat)) >= count:
            break
        await asyncio.sleep(0.02)
    return fake.texts_to(chat)


async def test_queued_updates_are_fetched_and_answered_once(rig: Rig, fake: FakeTelegram) -> None:
    first = fake.push_update(text_update(PROSPECT, "Halo", message_id=1))
    fake.push_update(text_update(PROSPECT, "ya", message_id=2))

    texts = await replies_to(fake, PROSPECT, 2)
    await asyncio.sleep(0.6)  # another long poll or two: nothing is handled twice

    assert texts[0].startswith("Halo! 👋")
    assert fake.texts_to(PROSPECT) == texts
    assert len(texts) == 2
    assert fake.webhook == {}  # polling removed the webhook first
    assert fake.updates == []  # confirmed with the next offset
    assert all(int(c["offset"]) in {0, first + 2} for c in fake.calls_of("getUpdates"))


async def test_polling_mode_has_no_webhook_route(rig: Rig) -> None:
    response = await rig.client.post("/webhooks/telegram", json={"update_id": 1})

    assert response.status in {404, 405}
