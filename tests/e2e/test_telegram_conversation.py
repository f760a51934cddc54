"""Prospects on Telegram: the real app (build_app) behind its webhook, FakeTelegram as Bot API.

Updates are posted the way Telegram's server posts them (JSON body, secret header), and the
assertions read what the fake received: what a prospect would see on their phone.
The `Rig` here is shared with the other test_telegram_* e2e modules.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web

from bot.app import BACKGROUND, DB, WORKER, build_app
from bot.channels.telegram_app import WebhookSecretMissing
from bot.config import Settings, TelegramConfig, TelegramLimits
from dialogs.texts import DEFAULT_TEXTS
from storage import leads, messages, outbox
from storage.rows import LeadRow
from tests.conftest import NOW
from tests.e2e.conftest import AppClient
from tests.fakes.telegram_api import (
    FakeTelegram,
    Json,
    callback_update,
    media_update,
    member_update,
    text_update,
)

SECRET = "s3cret"
SALES_GROUP = -100500
PROSPECT = 5551
PAYLOADS = Path(__file__).resolve().parent.parent / "payloads" / "telegram"
# A whole Indonesian conversation: free text and button presses ("cb:<option id>").
CONVERSATION = (
    "/start fb_ads",
    "ya",
    "PT Maju Jaya",
    "saya owner, saya yang memutuskan",
    "cb:s51_200",
    "butuh banget, tim sales kewalahan follow up leads",
    "sekitar 100jt",
    "bulan depan",
    "0812-3456-7890",
)
MakeClient = Callable[[web.Application], Awaitable[AppClient]]


@dataclass
class Clock:
    """The app's clock, moved by hand (the outbox's retry_after is read against it)."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Rig:
    """The running app, its fake Bot API and clock, and what a test does with them."""

    client: AppClient
    fake: FakeTelegram
    clock: Clock
    _message_ids: list[int] = field(default_factory=lambda: [100])

    @property
    def app(self) -> web.Application:
        return self.client.app

    async def post(self, update: Json, *, secret: str | None = SECRET) -> int:
        """Deliver one update and wait for the replies it sends in the background."""
        status, _ = await self.fake.post_webhook(self.client, update, secret=secret)
        await self.app[WORKER].settle()  # replies and notes leave from the outbox
        await self.app[BACKGROUND].drain()
        return status

    async def say(self, chat: int, text: str) -> int:
        self._message_ids[0] += 1
        date = int(self.clock().timestamp())
        return await self.post(text_update(chat, text, message_id=self._message_ids[0], date=date))

    async def press(self, chat: int, data: str, *, first_name: str = "Budi") -> int:
        """Press the button with callback data `data` on the newest keyboard in `chat`."""
        self._message_ids[0] += 1
        update = callback_update(
            chat,
            data,
            question=self.keyboard_message(chat),
            query_id=f"q{self._message_ids[0]}",
            first_name=first_name,
        )
        return await self.post(update)

    async def press_from(self, user: int, chat: int, data: str, *, first_name: str) -> int:
        """A press in a group: the chat is the group, the presser one of its members."""
        self._message_ids[0] += 1
        update = callback_update(
            user,
            data,
            question=self.keyboard_message(chat),
            query_id=f"q{self._message_ids[0]}",
            first_name=first_name,
        )
        return await self.post(update)

    def keyboard_message(self, chat: int) -> Json:
        shown = [
            m for (c, _), m in self.fake.messages.items() if c == chat and m.get("reply_markup")
        ]
        if not shown:
            raise AssertionError(f"chat {chat} shows no keyboard")
        return max(shown, key=lambda m: int(m["message_id"]))

    async def converse(self, chat: int, steps: tuple[str, ...] = CONVERSATION) -> None:
        for step in steps:
            status = (
                await self.press(chat, step[3:])
                if step.startswith("cb:")
                else await self.say(chat, step)
            )
            assert status == 200

    async def lead(self, chat: int) -> LeadRow | None:
        async with self.app[DB].connection() as conn:
            return await leads.find_lead(conn, "telegram", str(chat))

    async def eventually(self, done: Callable[[], bool], *, seconds: float = 5.0) -> None:
        """Drive the outbox until `done()`; the worker also runs on its own meanwhile."""
        deadline = asyncio.get_running_loop().time() + seconds
        while not done():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("timed out waiting")
            await self.app[WORKER].run_once()
            await asyncio.sleep(0.02)


def telegram_settings(tmp_path: Path, fake: FakeTelegram, **telegram: Any) -> Settings:
    config: dict[str, Any] = {
        "token": fake.token,
        "api_url": fake.api_url,
        "webhook_secret": SECRET,
        "sdr_chat_ids": [str(SALES_GROUP)],
        # 1 message/s per chat would make every test slow
        "limits": TelegramLimits(per_second=0, per_chat_per_second=0),
        **telegram,
    }
    return Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/qualibot.db",
        public_url="https://bot.example.com",
        telegram=TelegramConfig(**config),
    )


async def start_rig(
    aiohttp_client: MakeClient, settings: Settings, fake: FakeTelegram, clock: Clock
) -> Rig:
    app = build_app(settings, clock=clock)
    return Rig(await aiohttp_client(app), fake, clock)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def rig(aiohttp_client: MakeClient, tmp_path: Path, fake: FakeTelegram) -> Rig:
    return await start_rig(aiohttp_client, telegram_settings(tmp_path, fake), fake, Clock())


# --- a whole conversation -------------------------------------------------------------------


async def test_indonesian_conversation_with_buttons_and_text_reaches_sql(rig: Rig) -> None:
    await rig.converse(PROSPECT)

    lead = await rig.lead(PROSPECT)
    assert lead is not None
    assert (lead.stage, lead.language, lead.phone) == ("sql", "id", "+6281234567890")
    texts = rig.fake.texts_to(PROSPECT)
    assert any(t.startswith("Terima kasih, Budi! Tim sales kami akan menghubungi") for t in texts)
    assert texts[-2].startswith("Sambil menunggu, boleh nomor WhatsApp atau email")
    assert texts[-1] == "Terima kasih, sudah saya teruskan ke tim sales kami."
    assert "Berapa jumlah karyawan di perusahaan Anda?" in texts


async def test_pressed_buttons_stop_spinning_and_the_question_shows_the_answer(rig: Rig) -> None:
    await rig.converse(PROSPECT, CONVERSATION[:5])

    [answered] = rig.fake.answered.values()
    assert answered == {"callback_query_id": "q105"}
    question = next(
        m for m in rig.fake.messages.values() if str(m["text"]).startswith("Berapa jumlah")
    )
    assert "reply_markup" not in question
    assert question["text"].endswith("✓ 51-200")


async def test_deep_link_start_payload_is_recorded_as_the_leads_source(rig: Rig) -> None:
    await rig.say(PROSPECT, "/start fb_ads")

    lead = await rig.lead(PROSPECT)
    assert lead is not None
    assert lead.source == "fb_ads"


async def test_sticker_gets_a_polite_please_type_in_the_prospects_language(rig: Rig) -> None:
    sticker = orjson.loads((PAYLOADS / "sticker_message.json").read_bytes())["message"]["sticker"]

    status = await rig.post(media_update(PROSPECT, "sticker", sticker))

    assert status == 200
    assert DEFAULT_TEXTS["unsupported"]["id"] in rig.fake.texts_to(PROSPECT)


async def test_shared_contact_fills_the_phone(rig: Rig) -> None:
    await rig.converse(PROSPECT, CONVERSATION[:-1])
    contact = {"phone_number": "6281234567890", "first_name": "Budi", "user_id": PROSPECT}

    await rig.post(media_update(PROSPECT, "contact", contact, message_id=999))

    lead = await rig.lead(PROSPECT)
    assert lead is not None
    assert lead.phone == "+6281234567890"


# --- the webhook's guarantees ---------------------------------------------------------------


async def test_a_repeated_update_id_is_processed_once(rig: Rig) -> None:
    update = text_update(PROSPECT, "Halo kak", update_id=4242)

    first = await rig.post(update)
    again = await rig.post(update)

    assert (first, again) == (200, 200)
    lead = await rig.lead(PROSPECT)
    assert lead is not None
    async with rig.app[DB].connection() as conn:
        inbound = [m for m in await messages.transcript(conn, lead.id) if m.direction == "in"]
    assert len(inbound) == 1
    assert len(rig.fake.sent_to(PROSPECT)) == 1


@pytest.mark.parametrize("secret", [None, "wrong", SECRET + "x"])
async def test_a_missing_or_wrong_secret_token_is_refused_and_nothing_stored(
    rig: Rig, secret: str | None
) -> None:
    status = await rig.post(text_update(PROSPECT, "Halo"), secret=secret)

    assert status == 403
    assert await rig.lead(PROSPECT) is None
    assert rig.fake.sent_to(PROSPECT) == []


@pytest.mark.parametrize(
    "payload",
    ["text_message_webhook_guide_verbatim.json", "callback_query_webhook_guide_verbatim.json"],
)
async def test_telegrams_outdated_guide_examples_get_400_not_500(rig: Rig, payload: str) -> None:
    response = await rig.client.post(
        "/webhooks/telegram",
        data=(PAYLOADS / payload).read_bytes(),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
    )

    assert response.status == 400
    assert "does not match the Bot API" in (await response.json())["error"]


async def test_webhook_mode_without_a_secret_names_the_variable_to_set(
    tmp_path: Path, fake: FakeTelegram
) -> None:
    settings = telegram_settings(tmp_path, fake, webhook_secret=None)

    with pytest.raises(WebhookSecretMissing, match="QUALIBOT_TELEGRAM__WEBHOOK_SECRET"):
        build_app(settings)


# --- blocking -------------------------------------------------------------------------------


async def test_a_prospect_who_blocks_the_bot_is_marked_unreachable(rig: Rig) -> None:
    await rig.converse(PROSPECT, CONVERSATION[:3])

    status = await rig.post(member_update(PROSPECT, "kicked"))

    assert status == 200
    lead = await rig.lead(PROSPECT)
    assert lead is not None
    assert lead.unreachable


async def test_a_blocked_prospect_gets_nothing_more_even_from_the_outbox(rig: Rig) -> None:
    await rig.converse(PROSPECT, CONVERSATION[:2])
    rig.fake.fail("sendMessage", 500, "Internal Server Error", chat_id=PROSPECT)
    await rig.say(PROSPECT, "PT Maju Jaya")  # the reply waits in the outbox for a retry
    sent_before = len(rig.fake.sent_to(PROSPECT))

    await rig.post(member_update(PROSPECT, "kicked"))
    rig.clock.advance(minutes=5)
    await rig.app[WORKER].run_once()

    assert len(rig.fake.sent_to(PROSPECT)) == sent_before
    async with rig.app[DB].connection() as conn:
        unsent = [
            item
            for item in await outbox.list_outbox(conn)
            if item.kind == "reply" and item.status != "sent"
        ]
    assert [(item.status, item.target) for item in unsent] == [("dead", str(PROSPECT))]
    lead = await rig.lead(PROSPECT)
    assert lead is not None
    assert lead.unreachable


async def test_a_reply_refused_with_403_marks_the_lead_unreachable(rig: Rig) -> None:
    await rig.say(PROSPECT, "Halo")
    rig.fake.blocked.add(PROSPECT)  # blocked, and the my_chat_member update is still on its way

    await rig.say(PROSPECT, "ya")

    lead = await rig.lead(PROSPECT)
    assert lead is not None
    assert lead.unreachable
    assert [c.status for c in rig.fake.calls if c.method == "sendMessage"][-1] == 403


async def test_unblocking_and_writing_again_reaches_the_pipeline(rig: Rig) -> None:
    await rig.say(PROSPECT, "Halo")
    await rig.post(member_update(PROSPECT, "kicked"))
    sent = len(rig.fake.sent_to(PROSPECT))

    await rig.post(member_update(PROSPECT, "member"))
    await rig.say(PROSPECT, "ya")

    assert len(rig.fake.sent_to(PROSPECT)) > sent
