"""Authentic webhooks with content nobody planned for: never a 5xx (the platforms would retry
the same update for hours or days), nothing stored that the database would refuse.

One app with Telegram, WhatsApp and the web chat, on SQLite and on PostgreSQL (which refuses
NUL characters and over-long values that SQLite keeps). Specific inputs found by probing
first, then properties over each channel's payloads (hypothesis).
"""

import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import DB, WORKER, build_app
from bot.config import Settings, TelegramConfig, TelegramLimits, WhatsAppConfig
from storage.leads import find_lead
from storage.messages import transcript
from tests.fakes.graph_api import DEFAULT_TOKEN, FakeGraph, signed_post, text_message, value
from tests.fakes.graph_api import webhook as wa_webhook
from tests.fakes.telegram_api import FakeTelegram, callback_update, text_update
from tests.postgres import create_database, drop_database

AppClient = TestClient[web.Request, web.Application]
Json = dict[str, Any]
TG_SECRET = "hostile-secret"
WA_SECRET = "hostile-app-secret"
_ids = itertools.count(10_000)


def encoded(body: Json) -> bytes:
    # the json module, not orjson: integers past 64 bits are part of what is sent
    return json.dumps(body).encode()


async def telegram(client: AppClient, update: Json) -> int:
    raw = encoded({"update_id": next(_ids), **update})
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
    async with client.post("/webhooks/telegram", data=raw, headers=headers) as response:
        return response.status


async def whatsapp(client: AppClient, body: Json) -> int:
    status, _ = await signed_post(client, encoded(body), WA_SECRET)
    return status


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def client(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    aiohttp_client: Callable[[web.Application], Awaitable[AppClient]],
) -> AsyncIterator[AppClient]:
    url = (
        f"sqlite+aiosqlite:///{tmp_path}/qualibot.db"
        if request.param == "sqlite"
        else await create_database()
    )
    try:
        async with FakeTelegram() as tg, FakeGraph() as graph:
            app = build_app(
                Settings(
                    database_url=url,
                    telegram=TelegramConfig(
                        token=tg.token,
                        api_url=tg.api_url,
                        webhook_secret=TG_SECRET,
                        limits=TelegramLimits(per_second=0, per_chat_per_second=0),
                    ),
                    whatsapp=WhatsAppConfig(
                        graph_url=graph.base_url,
                        phone_number_id=graph.phone_number_id,
                        access_token=DEFAULT_TOKEN,
                        app_secret=WA_SECRET,
                        verify_token="verify",
                    ),
                )
            )
            yield await aiohttp_client(app)
    finally:
        if request.param == "postgresql":
            await drop_database(url)


async def stored_inbound(client: AppClient, channel: str, user: str) -> list[str]:
    async with client.app[DB].connection() as conn:
        lead = await find_lead(conn, channel, user)
        if lead is None:
            return []
        return [m.text for m in await transcript(conn, lead.id) if m.direction == "in"]


# --- found by probing ------------------------------------------------------------------------


async def test_a_long_start_payload_is_cut_to_a_deep_links_length(client: AppClient) -> None:
    status = await telegram(client, text_update(7001, "/start " + "x" * 300))

    async with client.app[DB].connection() as conn:
        lead = await find_lead(conn, "telegram", "7001")
    assert status == 200
    assert lead is not None
    assert lead.source == "x" * 64


async def test_a_nul_in_a_telegram_message_is_dropped(client: AppClient) -> None:
    status = await telegram(client, text_update(7002, "Budi\x00 Santoso"))

    assert status == 200
    assert await stored_inbound(client, "telegram", "7002") == ["Budi Santoso"]


async def test_a_nul_in_a_whatsapp_message_is_dropped(client: AppClient) -> None:
    body = wa_webhook(value(messages=[text_message("6281200000001", "halo\x00 kak")]))

    status = await whatsapp(client, body)

    assert status == 200
    assert await stored_inbound(client, "whatsapp", "6281200000001") == ["halo kak"]


async def test_a_sender_id_too_long_to_be_one_is_acknowledged_and_ignored(
    client: AppClient,
) -> None:
    sender = "6" * 200
    body = wa_webhook(value(messages=[text_message(sender, "halo")]))

    status = await whatsapp(client, body)

    assert status == 200
    assert await stored_inbound(client, "whatsapp", sender) == []


async def test_an_over_long_button_id_is_read_as_its_title(client: AppClient) -> None:
    message = {
        "from": "6281200000002",
        "id": "wamid.LONGBUTTON=",
        "timestamp": "1760000000",
        "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": "b" * 300, "title": "Ya"}},
    }

    status = await whatsapp(client, wa_webhook(value(messages=[message])))

    assert status == 200
    assert await stored_inbound(client, "whatsapp", "6281200000002") == ["Ya"]


async def test_a_telegram_message_without_a_chat_is_refused_not_a_crash(
    client: AppClient,
) -> None:
    update = text_update(7003, "halo")
    del update["message"]["chat"]

    status = await telegram(client, update)

    assert status == 400


async def test_a_whatsapp_timestamp_no_calendar_holds_becomes_the_arrival_time(
    client: AppClient,
) -> None:
    message = text_message("6281200000003", "halo kak")
    message["timestamp"] = 1e20

    status = await whatsapp(client, wa_webhook(value(messages=[message])))

    assert status == 200
    async with client.app[DB].connection() as conn:
        lead = await find_lead(conn, "whatsapp", "6281200000003")
        assert lead is not None
        [inbound] = [m for m in await transcript(conn, lead.id) if m.direction == "in"]
    assert abs(inbound.created_at - datetime.now(UTC)).total_seconds() < 60


# --- properties --------------------------------------------------------------------------------

# Text as platforms and forgers send it: every code point but lone surrogates (JSON cannot
# carry them), NUL and controls included, up to past the platforms' 4096.
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=5000)
ID = st.one_of(st.text(max_size=300), st.integers(min_value=-(2**70), max_value=2**70))
TIMESTAMP = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=10,
)
PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def telegram_updates(draw: st.DrawFn) -> Json:
    chat = draw(st.integers(min_value=1, max_value=2**52))
    if draw(st.booleans()):
        update = callback_update(
            chat, draw(st.text(max_size=300)), query_id=draw(st.text(max_size=300))
        )
    else:
        update = text_update(chat, draw(TEXT), message_id=draw(st.integers(1, 2**31)))
        update["message"]["date"] = draw(TIMESTAMP)
    section = next(iter(update))
    for key in draw(st.lists(st.sampled_from(["from", "chat", "date", "text", "message"]))):
        update[section].pop(key, None)
    if draw(st.booleans()):
        update[section][draw(st.text(max_size=10))] = draw(JSON_VALUE)
    return update


@st.composite
def whatsapp_bodies(draw: st.DrawFn) -> Json:
    kind = draw(st.sampled_from(["text", "interactive", "button", "image", "sticker", "weird"]))
    message: Json = {
        "from": draw(st.one_of(st.text(min_size=1, max_size=300), st.just("6281200000009"))),
        "id": draw(st.text(min_size=1, max_size=300)),
        "timestamp": draw(TIMESTAMP),
        "type": kind,
    }
    if kind == "text":
        message["text"] = {"body": draw(TEXT)}
    elif kind == "interactive":
        reply = {"id": draw(st.text(max_size=400)), "title": draw(TEXT)}
        message["interactive"] = {"type": "button_reply", "button_reply": reply}
    elif kind == "button":
        message["button"] = {"payload": draw(st.text(max_size=400)), "text": draw(TEXT)}
    elif kind == "image":
        message["image"] = {"id": "1", "caption": draw(TEXT)}
    else:
        message[kind] = draw(JSON_VALUE)
    return wa_webhook(value(messages=[message], names={str(message["from"]): draw(TEXT)}))


@given(update=telegram_updates())
@PROPERTY
async def test_no_telegram_update_gets_a_5xx(client: AppClient, update: Json) -> None:
    assert await telegram(client, update) < 500
    await client.app[WORKER].settle()


@given(body=whatsapp_bodies())
@PROPERTY
async def test_no_whatsapp_webhook_gets_a_5xx(client: AppClient, body: Json) -> None:
    assert await whatsapp(client, body) < 500
    await client.app[WORKER].settle()


@given(
    body=st.fixed_dictionaries(
        {"session": ID, "message_id": ID},
        optional={"text": st.one_of(st.none(), TEXT), "choice": JSON_VALUE, "language": TEXT},
    )
)
@PROPERTY
async def test_no_web_chat_message_gets_a_5xx(client: AppClient, body: Json) -> None:
    async with client.post("/api/chat", data=encoded(body)) as response:
        assert response.status < 500
