"""The SDR workflow against the real processes, as an operator runs it: `qualibot sdrs add`
twice, `qualibot serve` behind its Telegram webhook (a fake Bot API and a CRM sink in this
process), `qualibot jobs run-due --now` at +6 and +11 minutes and once more, Accept, and the
SDR and the prospect talking through the bot."""

import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

from tests.e2e.serving import ROOT, serve, serve_env, until
from tests.e2e.test_telegram_conversation import CONVERSATION
from tests.fakes.crm_sink import CrmSink
from tests.fakes.telegram_api import FakeTelegram, Json, callback_update, text_update

SECRET = "sdr-flow-secret"
CRM_SECRET = "crm-secret"
PROSPECT, RINA, ANDI = 6001, 6101, 6102


async def qualibot(env: dict[str, str], *argv: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *argv,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return process.returncode, out.decode()


class Chat:
    """Posts updates to the served webhook the way Telegram does."""

    def __init__(self, http: aiohttp.ClientSession, url: str, fake: FakeTelegram) -> None:
        self._http, self._url, self._fake = http, url, fake
        self._ids = 1000

    async def post(self, update: Json) -> None:
        self._ids += 1
        async with self._http.post(
            f"{self._url}/webhooks/telegram",
            json={"update_id": self._ids, **update},
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        ) as response:
            assert response.status == 200

    async def say(self, chat: int, text: str, *, reply_to: Json | None = None) -> None:
        update = text_update(chat, text, message_id=self._ids + 1, first_name="Budi")
        if reply_to is not None:
            update["message"]["reply_to_message"] = reply_to
        await self.post(update)

    def keyboard(self, chat: int) -> Json:
        shown = [
            m for (c, _), m in self._fake.messages.items() if c == chat and "reply_markup" in m
        ]
        return max(shown, key=lambda m: int(m["message_id"]))

    async def press(self, chat: int, data: str) -> None:
        question = self.keyboard(chat)
        await self.post(callback_update(chat, data, question=question, query_id=f"q{self._ids}"))


async def test_sla_reassignment_takeover_and_crm_events_across_processes(
    tmp_path: Path, database_url: str
) -> None:
    async with FakeTelegram() as fake, CrmSink(secret=CRM_SECRET) as sink:
        env = serve_env(
            QUALIBOT_DATABASE_URL=database_url,
            QUALIBOT_TELEGRAM__TOKEN=fake.token,
            QUALIBOT_TELEGRAM__API_URL=fake.api_url,
            QUALIBOT_TELEGRAM__WEBHOOK_SECRET=SECRET,
            QUALIBOT_WEBHOOKS__URL=sink.url("/events"),
            QUALIBOT_WEBHOOKS__SECRET=CRM_SECRET,
        )
        await qualibot(env, "sdrs", "add", "Rina", "--telegram-chat-id", str(RINA))
        await qualibot(env, "sdrs", "add", "Andi", "--telegram-chat-id", str(ANDI))
        async with serve(env, tmp_path / "serve.log") as (_, url), aiohttp.ClientSession() as http:
            chat = Chat(http, url, fake)
            for step in CONVERSATION:
                if step.startswith("cb:"):
                    await until(lambda: bool(fake.messages), seconds=10, what="a question")
                    await chat.press(PROSPECT, step[3:])
                else:
                    await chat.say(PROSPECT, step)
                await asyncio.sleep(0.3)  # the prospect reads the reply before answering
            await until(lambda: bool(fake.sent_to(RINA)), seconds=8, what="the SDR notice")
            qualified_at = datetime.now(UTC)
            await until(
                lambda: (
                    any(t.startswith("Terima kasih, sudah saya") for t in fake.texts_to(PROSPECT))
                    and any(t.startswith("Rina dari tim sales") for t in fake.texts_to(PROSPECT))
                ),
                seconds=40,  # Telegram's 1 message/s per chat holds the bot's replies back
                what="the bot's last reply",
            )

            async def run_due(minutes: int) -> list[dict[str, Any]]:
                at = (qualified_at + timedelta(minutes=minutes)).isoformat()
                _, out = await qualibot(env, "jobs", "run-due", "--now", at)
                return [json.loads(line) for line in out.splitlines()]

            reminded = await run_due(6)
            await until(lambda: len(fake.sent_to(RINA)) == 2, seconds=8, what="the reminder")
            reassigned = await run_due(11)
            await until(lambda: bool(fake.sent_to(ANDI)), seconds=8, what="the second notice")
            await until(lambda: len(fake.sent_to(RINA)) == 3, seconds=8, what="Rina told")
            sent_before_repeat = len(fake.calls_of("sendMessage"))
            repeated = await run_due(11)
            await asyncio.sleep(2)
            sent_after_repeat = len(fake.calls_of("sendMessage"))

            notice = chat.keyboard(ANDI)
            accept = next(
                b["callback_data"]
                for row in notice["reply_markup"]["inline_keyboard"]
                for b in row
                if b["callback_data"].startswith("ho:accept:")
            )
            await chat.press(ANDI, accept)
            bot_said = len(fake.texts_to(PROSPECT))
            await chat.say(ANDI, "Halo Pak Budi, saya Andi. Kapan bisa demo?", reply_to=notice)
            await until(
                lambda: "Halo Pak Budi, saya Andi. Kapan bisa demo?" in fake.texts_to(PROSPECT),
                seconds=8,
                what="the relay",
            )
            await chat.say(PROSPECT, "Besok jam 10 bisa")
            await until(
                lambda: fake.texts_to(ANDI)[-1].endswith("Besok jam 10 bisa"),
                seconds=8,
                what="the prospect's answer at the SDR",
            )
            await until(
                lambda: {"handoff.created", "handoff.accepted"} <= sink.types(),
                seconds=8,
                what="the CRM events",
            )
            await asyncio.sleep(1)

    assert [a["job"] for a in reminded] == ["sla.remind"]
    assert [(a["job"], a["to_sdr"]) for a in reassigned] == [("sla.reassign", "Andi")]
    assert repeated == []
    assert sent_after_repeat == sent_before_repeat
    assert fake.texts_to(PROSPECT)[bot_said:] == ["Halo Pak Budi, saya Andi. Kapan bisa demo?"]
    assert fake.texts_to(ANDI)[-1] == "💬 Budi (PT Maju Jaya): Besok jam 10 bisa"
    assert all(sink.verified)
    assert sink.of_type("handoff.accepted")[0]["data"]["by"] == "Budi"
