"""A SIGKILL after the webhook's 200: every acknowledged reply still arrives, once, in order.

The real `qualibot serve` in a subprocess, a fake Bot API in this one. The fake holds every
sendMessage unanswered, so when the process is killed some replies are being sent and the
rest wait in the outbox; the restarted process delivers all of them.
"""

import asyncio
import signal
from pathlib import Path

import aiohttp

from storage.database import Database
from storage.leads import find_lead
from storage.messages import transcript
from tests.e2e.serving import serve, serve_env, until
from tests.fakes.telegram_api import FakeTelegram, text_update

SECRET = "crash-test-secret"
CHATS = (5001, 5002, 5003, 5004)


async def test_replies_acknowledged_before_a_sigkill_arrive_after_the_restart(
    database_url: str, tmp_path: Path
) -> None:
    async with FakeTelegram() as fake:
        env = serve_env(
            QUALIBOT_DATABASE_URL=database_url,
            QUALIBOT_TELEGRAM__TOKEN=fake.token,
            QUALIBOT_TELEGRAM__API_URL=fake.api_url,
            QUALIBOT_TELEGRAM__WEBHOOK_SECRET=SECRET,
            QUALIBOT_OUTBOX_LEASE_SECONDS="1",  # a killed send is retried one second later
        )
        log = tmp_path / "serve.log"
        fake.hold("sendMessage")
        async with serve(env, log) as (process, url), aiohttp.ClientSession() as http:
            update_id = 900
            for text in ("Halo kak", "ya boleh"):
                for chat in CHATS:
                    update_id += 1
                    update = text_update(chat, text, message_id=update_id)
                    async with http.post(
                        f"{url}/webhooks/telegram",
                        json={"update_id": update_id, **update},
                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                    ) as response:
                        assert response.status == 200
            await until(
                lambda: fake.holding.get("sendmessage", 0) >= len(CHATS),
                seconds=20,
                what="the first replies to be in flight",
            )
            process.send_signal(signal.SIGKILL)
            await process.wait()
        fake.release("sendMessage")

        async with serve(env, log):
            await until(
                # each chat: the greeting (answering "Halo kak"), then the name question
                lambda: all(len(fake.texts_to(chat)) >= 2 for chat in CHATS),
                seconds=30,
                what="the replies after the restart",
            )
            await asyncio.sleep(1.5)  # a second lease: nothing more may arrive

    db = Database.from_url(database_url)
    try:
        async with db.connection() as conn:
            for chat in CHATS:
                lead = await find_lead(conn, "telegram", str(chat))
                assert lead is not None
                stored = [m for m in await transcript(conn, lead.id) if m.direction == "out"]
                # every reply arrived exactly once, in the order of the conversation
                assert fake.texts_to(chat) == [m.text for m in stored]
                assert {m.status for m in stored} == {"sent"}
    finally:
        await db.dispose()
