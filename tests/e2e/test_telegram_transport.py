"""TelegramSender, AiohttpRequest and the polling runner against FakeTelegram over real HTTP."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from telegram import Bot
from telegram.error import BadRequest, TimedOut

from bot.channels.telegram import RateLimiter, TelegramSender, callback_data
from bot.channels.telegram_events import AnsweredQuestion, TelegramEvent, TelegramInbound
from bot.channels.telegram_transport import AiohttpRequest
from bot.channels.telegram_web import ALLOWED_UPDATES, run_polling, set_webhook
from bot.errors import ChannelError
from dialogs.messages import Choice, OutboundMessage
from tests.fakes.telegram_api import FakeTelegram, callback_update, text_update

CHAT = 1111111
QUESTION = OutboundMessage(
    "Berapa anggaran Anda?", (Choice("under_50m", "< 50 jt"), Choice("over_50m", "≥ 50 jt"))
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def sender(
    fake: FakeTelegram, session: aiohttp.ClientSession
) -> AsyncIterator[TelegramSender]:
    sender = TelegramSender.create(fake.token, session, api_url=fake.api_url)
    await sender.start()
    yield sender
    await sender.close()


async def send_error(sender: TelegramSender, message: OutboundMessage = QUESTION) -> ChannelError:
    with pytest.raises(ChannelError) as caught:
        await sender.send(str(CHAT), message)
    return caught.value


# --- sending -------------------------------------------------------------------------------


async def test_question_arrives_with_its_keyboard(
    fake: FakeTelegram, sender: TelegramSender
) -> None:
    message_id = await sender.send(str(CHAT), QUESTION)

    [sent] = fake.sent_to(CHAT)
    assert sent["text"] == "Berapa anggaran Anda?"
    assert "parse_mode" not in sent
    assert sent["reply_markup"] == {
        "inline_keyboard": [
            [{"text": "< 50 jt", "callback_data": "under_50m"}],
            [{"text": "≥ 50 jt", "callback_data": "over_50m"}],
        ]
    }
    assert message_id == str(fake.messages[CHAT, int(message_id)]["message_id"])


async def test_long_option_ids_never_reach_telegram_over_64_bytes(
    fake: FakeTelegram, sender: TelegramSender
) -> None:
    long_id = "company_size:" + "enterprise_" * 8

    await sender.send(str(CHAT), OutboundMessage("Ukuran?", (Choice(long_id, "Enterprise"),)))

    [sent] = fake.sent_to(CHAT)
    assert sent["reply_markup"]["inline_keyboard"] == [
        [{"text": "Enterprise", "callback_data": callback_data(long_id)}]
    ]


async def test_long_text_arrives_in_parts_with_the_keyboard_last(
    fake: FakeTelegram, sender: TelegramSender
) -> None:
    text = "\n".join(f"Baris {i}: " + "kata " * 40 for i in range(45))  # ~9400 characters

    last_id = await sender.send(str(CHAT), OutboundMessage(text, QUESTION.choices))

    sent = fake.sent_to(CHAT)
    assert len(sent) == 3
    assert ["reply_markup" in s for s in sent] == [False, False, True]
    assert last_id == str(fake.messages[CHAT, int(last_id)]["message_id"])


async def test_html_looking_text_is_sent_literally(
    fake: FakeTelegram, sender: TelegramSender
) -> None:
    await sender.send(str(CHAT), OutboundMessage("<b>50jt</b> & <unclosed"))

    assert fake.texts_to(CHAT) == ["<b>50jt</b> & <unclosed"]


async def test_flood_limit_becomes_retry_after(fake: FakeTelegram, sender: TelegramSender) -> None:
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 35", retry_after=35)

    error = await send_error(sender)

    assert (error.retry_after, error.permanent, error.code) == (35.0, False, "retry_after")
    assert fake.sent_to(CHAT) == []


async def test_blocked_by_the_user_is_permanent(
    fake: FakeTelegram, sender: TelegramSender
) -> None:
    fake.blocked.add(CHAT)

    error = await send_error(sender)

    assert (error.permanent, error.code, error.retry_after) == (True, "forbidden", None)
    assert "blocked by the user" in str(error)


async def test_server_error_is_retryable_without_a_delay(
    fake: FakeTelegram, sender: TelegramSender
) -> None:
    fake.fail("sendMessage", 500, "Internal Server Error")

    error = await send_error(sender)

    assert (error.permanent, error.retry_after, error.code) == (False, None, "network")


async def test_scripted_failure_is_used_once(fake: FakeTelegram, sender: TelegramSender) -> None:
    fake.fail("sendMessage", 500, "Internal Server Error")
    await send_error(sender)

    await sender.send(str(CHAT), QUESTION)

    assert len(fake.sent_to(CHAT)) == 1


async def test_bad_request_is_permanent_with_telegrams_description(
    fake: FakeTelegram, sender: TelegramSender
) -> None:
    fake.fail("sendMessage", 400, "Bad Request: chat not found")

    error = await send_error(sender)

    assert (error.permanent, error.code) == (True, "bad_request")
    assert "chat not found" in str(error).lower()


async def test_bad_token_fails_at_start(
    fake: FakeTelegram, session: aiohttp.ClientSession
) -> None:
    sender = TelegramSender.create("123:WRONG", session, api_url=fake.api_url)

    with pytest.raises(ChannelError) as caught:
        await sender.start()

    assert (caught.value.permanent, caught.value.code) == (True, "invalid_token")
    await sender.close()


async def test_unreachable_api_is_a_retryable_network_error(
    session: aiohttp.ClientSession,
) -> None:
    fake = FakeTelegram()
    url = await fake.start()
    await fake.close()  # the port now refuses connections
    sender = TelegramSender.create(fake.token, session, api_url=url)

    error = await send_error(sender)

    assert (error.permanent, error.retry_after, error.code) == (False, None, "network")
    await sender.close()


async def test_slow_api_times_out(session: aiohttp.ClientSession) -> None:
    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(1)
        return web.json_response({"ok": True, "result": True})

    app = web.Application()
    app.router.add_post("/bot{token}/{method}", slow)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    bot = Bot(
        "1:A",
        base_url=str(server.make_url("/bot")),
        request=AiohttpRequest(session, read_timeout=0.05),
    )

    with pytest.raises(TimedOut):
        await bot.send_chat_action(CHAT, "typing")

    await bot.shutdown()
    await server.close()


async def test_closing_the_bot_leaves_the_shared_session_open(
    fake: FakeTelegram, session: aiohttp.ClientSession
) -> None:
    sender = TelegramSender.create(fake.token, session, api_url=fake.api_url)
    await sender.start()

    await sender.close()

    assert not session.closed


async def test_throttled_sender_spaces_a_burst_to_one_chat(
    fake: FakeTelegram, session: aiohttp.ClientSession
) -> None:
    limiter = RateLimiter(per_chat_per_second=20, chat_burst=2)  # 50 ms apart after 2
    sender = TelegramSender.create(fake.token, session, api_url=fake.api_url, limiter=limiter)
    started = asyncio.get_running_loop().time()

    for text in ("1", "2", "3", "4"):
        await sender.send(str(CHAT), OutboundMessage(text))

    assert asyncio.get_running_loop().time() - started >= 0.09
    assert fake.texts_to(CHAT) == ["1", "2", "3", "4"]
    await sender.close()


# --- button presses ------------------------------------------------------------------------


async def test_answering_a_press_stops_the_spinner_once(
    fake: FakeTelegram, sender: TelegramSender
) -> None:
    first = await sender.answer_callback("cb-1")
    again = await sender.answer_callback("cb-1")  # Telegram refuses a second answer

    assert (first, again) == (True, False)
    assert list(fake.answered) == ["cb-1"]


async def test_answered_question_shows_the_choice_and_loses_its_keyboard(
    fake: FakeTelegram, sender: TelegramSender
) -> None:
    message_id = int(await sender.send(str(CHAT), QUESTION))

    await sender.mark_answered(AnsweredQuestion(CHAT, message_id, QUESTION.text, "< 50 jt"))

    shown = fake.messages[CHAT, message_id]
    assert shown["text"] == "Berapa anggaran Anda?\n\n✓ < 50 jt"
    assert "reply_markup" not in shown


async def test_question_we_cannot_see_only_loses_its_keyboard(
    fake: FakeTelegram, sender: TelegramSender
) -> None:
    message_id = int(await sender.send(str(CHAT), QUESTION))

    await sender.mark_answered(AnsweredQuestion(CHAT, message_id, None, None))

    assert fake.calls_of("editMessageReplyMarkup") == [{"chat_id": CHAT, "message_id": message_id}]
    assert "reply_markup" not in fake.messages[CHAT, message_id]


async def test_marking_twice_is_harmless(fake: FakeTelegram, sender: TelegramSender) -> None:
    message_id = int(await sender.send(str(CHAT), QUESTION))
    question = AnsweredQuestion(CHAT, message_id, QUESTION.text, "< 50 jt")
    await sender.mark_answered(question)

    await sender.mark_answered(question)  # "message is not modified" is not an error

    assert len(fake.calls_of("editMessageText")) == 1


async def test_handoff_card_is_edited_with_new_buttons(
    fake: FakeTelegram, sender: TelegramSender
) -> None:
    card = OutboundMessage(
        "Lead baru: PT Maju", (Choice("h:1:accept", "Accept"), Choice("h:1:reject", "Reject"))
    )
    message_id = int(await sender.send("-100123", card))

    await sender.edit_text(
        -100123, message_id, "Lead baru: PT Maju\nAccepted by Rina", (Choice("h:1:won", "Won"),)
    )

    shown = fake.messages[-100123, message_id]
    assert shown["text"].endswith("Accepted by Rina")
    assert shown["reply_markup"] == {
        "inline_keyboard": [[{"text": "Won", "callback_data": "h:1:won"}]]
    }


async def test_editing_a_message_that_does_not_exist_is_permanent(sender: TelegramSender) -> None:
    with pytest.raises(ChannelError) as caught:
        await sender.edit_text(CHAT, 999, "x")

    assert (caught.value.permanent, caught.value.code) == (True, "bad_request")


# --- webhook registration and polling ------------------------------------------------------


async def test_set_webhook_sends_the_secret_and_every_update_type_we_use(
    fake: FakeTelegram, sender: TelegramSender
) -> None:
    await set_webhook(sender.bot, "https://bot.example.com/webhooks/telegram", "s3cret_TOKEN")

    assert fake.webhook["url"] == "https://bot.example.com/webhooks/telegram"
    assert fake.webhook["secret_token"] == "s3cret_TOKEN"
    assert fake.webhook["allowed_updates"] == list(ALLOWED_UPDATES)


async def test_set_webhook_refused_by_telegram_is_a_channel_error(sender: TelegramSender) -> None:
    with pytest.raises(ChannelError, match=r"(?i)https url"):
        await set_webhook(sender.bot, "http://insecure.example.com/hook", "s3cret_TOKEN")


class Recorder:
    def __init__(self, expected: int) -> None:
        self.events: list[TelegramEvent] = []
        self.expected = expected
        self.done = asyncio.Event()

    async def __call__(self, event: TelegramEvent) -> None:
        self.events.append(event)
        if len(self.events) >= self.expected:
            self.done.set()


async def test_polling_deletes_the_webhook_delivers_each_update_once_and_advances(
    fake: FakeTelegram, sender: TelegramSender
) -> None:
    fake.webhook = {"url": "https://old.example.com/hook"}
    fake.push_update(text_update(CHAT, "/start fb_ads", update_id=500, message_id=1))
    fake.push_update({"update_id": 501, "message": {"text": "no chat, no date"}})  # unparsable
    fake.push_update(text_update(CHAT, "halo", update_id=502, message_id=2))
    recorder = Recorder(expected=2)
    stop = asyncio.Event()

    task = asyncio.create_task(run_polling(sender.bot, recorder, stop, poll_timeout=1))
    await asyncio.wait_for(recorder.done.wait(), 5)
    question = {"message_id": 9, "date": 1, "chat": {"id": CHAT, "type": "private"}, "text": "Q"}
    fake.push_update(callback_update(CHAT, "under_50m", question=question, update_id=503))
    recorder.expected, recorder.done = 3, asyncio.Event()
    await asyncio.wait_for(recorder.done.wait(), 5)
    stop.set()
    await asyncio.wait_for(task, 5)

    texts = [
        e.message.command or e.message.text or e.message.choice_id
        for e in recorder.events
        if isinstance(e, TelegramInbound)
    ]
    assert texts == ["start", "halo", "under_50m"]
    assert fake.webhook == {}
    offsets = [c["offset"] for c in fake.calls_of("getUpdates")]
    assert offsets[0] == 0
    assert offsets[-1] == 504
    assert fake.updates == []  # everything was confirmed


async def test_polling_stops_promptly_during_a_long_poll(
    fake: FakeTelegram, sender: TelegramSender
) -> None:
    fake.max_poll_wait = 30
    stop = asyncio.Event()
    task = asyncio.create_task(run_polling(sender.bot, Recorder(1), stop, poll_timeout=30))
    await asyncio.sleep(0.1)

    stop.set()

    await asyncio.wait_for(task, 2)


# --- the fake speaks every body encoding the Bot API accepts -------------------------------


async def test_fake_accepts_json_bodies_with_nested_objects(
    fake: FakeTelegram, session: aiohttp.ClientSession
) -> None:
    body: dict[str, Any] = {
        "chat_id": CHAT,
        "text": "hi",
        "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]},
    }

    async with session.post(f"{fake.api_url}{fake.token}/sendMessage", json=body) as response:
        answer = await response.json()

    assert (response.status, answer["ok"]) == (200, True)
    assert fake.sent_to(CHAT)[0]["reply_markup"] == body["reply_markup"]


async def test_fake_accepts_get_with_a_query_string(
    fake: FakeTelegram, session: aiohttp.ClientSession
) -> None:
    url = f"{fake.api_url}{fake.token}/sendMessage"

    async with session.get(url, params={"chat_id": str(CHAT), "text": "hi"}) as response:
        assert response.status == 200

    assert fake.texts_to(CHAT) == ["hi"]


async def test_fake_accepts_multipart_bodies(
    fake: FakeTelegram, session: aiohttp.ClientSession
) -> None:
    form = aiohttp.FormData()
    form.add_field("chat_id", str(CHAT))
    form.add_field("text", "hi")
    form.add_field("document", b"%PDF", filename="a.pdf", content_type="application/pdf")

    async with session.post(f"{fake.api_url}{fake.token}/sendMessage", data=form) as response:
        assert response.status == 200

    assert fake.texts_to(CHAT) == ["hi"]


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"chat_id": CHAT, "text": "  "}, "message text is empty"),
        ({"chat_id": CHAT, "text": "x" * 4097}, "message is too long"),
        (
            {
                "chat_id": CHAT,
                "text": "q",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "x" * 65}]]},
            },
            "BUTTON_DATA_INVALID",
        ),
        (
            {
                "chat_id": CHAT,
                "text": "q",
                "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": ""}]]},
            },
            "BUTTON_DATA_INVALID",
        ),
        ({"chat_id": CHAT, "text": "<b>bold", "parse_mode": "HTML"}, "can't parse entities"),
    ],
    ids=["empty", "too-long", "data-65-bytes", "data-empty", "unbalanced-html"],
)
async def test_fake_rejects_what_telegram_rejects(
    fake: FakeTelegram, session: aiohttp.ClientSession, params: dict[str, Any], description: str
) -> None:
    async with session.post(
        f"{fake.api_url}{fake.token}/sendMessage",
        data=orjson.dumps(params),
        headers={"Content-Type": "application/json"},
    ) as response:
        answer = await response.json()

    assert response.status == 400
    assert answer["ok"] is False
    assert answer["error_code"] == 400
    assert description in answer["description"]


@pytest.mark.parametrize(("token", "status"), [("123:WRONG", 401), ("not-a-token", 404)])
async def test_fake_rejects_bad_tokens(
    fake: FakeTelegram, session: aiohttp.ClientSession, token: str, status: int
) -> None:
    async with session.post(f"{fake.api_url}{token}/getMe") as response:
        answer = await response.json()

    assert (response.status, answer["error_code"]) == (status, status)


async def test_fake_refuses_get_updates_while_a_webhook_is_set(
    fake: FakeTelegram, sender: TelegramSender
) -> None:
    await set_webhook(sender.bot, "https://bot.example.com/hook", "s3cret")

    with pytest.raises(Exception, match="Conflict"):
        await sender.bot.get_updates()


async def test_fake_rejects_bad_secret_tokens(sender: TelegramSender) -> None:
    with pytest.raises(BadRequest, match=r"(?i)secret token"):
        await sender.bot.set_webhook("https://bot.example.com/hook", secret_token="has space")
