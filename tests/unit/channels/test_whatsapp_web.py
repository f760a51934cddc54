"""Webhook routes over HTTP: handshake, signature before parsing, dedup, size limit, batches."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient

from bot.channels.whatsapp import StatusEvent, WaEvent, WaInbound
from bot.channels.whatsapp_web import WamidDedup, whatsapp_routes
from bot.web import errors_middleware
from tests.fakes.graph_api import (
    AppClient,
    signed_post,
    status,
    status_webhook,
    text_message,
    text_webhook,
    value,
    webhook,
)

PAYLOADS = Path(__file__).parents[2] / "payloads" / "whatsapp"
SECRET = "test_app_secret"
VERIFY_TOKEN = "verify-me"
PHONE = "6281234567890"
MAX_BODY = 256 * 1024  # room for 1000 statuses (~120 KB), far below Meta's 3 MB


class Recorder:
    """The `handle` callback: records every batch, can be told to fail once."""

    def __init__(self) -> None:
        self.batches: list[list[WaEvent]] = []
        self.fail_next = False

    async def __call__(self, events: list[WaEvent]) -> None:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("database down")
        self.batches.append(events)

    @property
    def events(self) -> list[WaEvent]:
        return [e for batch in self.batches for e in batch]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, recorder: Recorder) -> AppClient:
    app = web.Application(middlewares=[errors_middleware])
    whatsapp_routes(
        app.router,
        verify_token=VERIFY_TOKEN,
        app_secret=SECRET,
        handle=recorder,
        max_body=MAX_BODY,
    )
    return await aiohttp_client(app)


async def test_handshake_with_the_right_token_echoes_the_challenge(client: AppClient) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "0115"}

    async with client.get("/webhooks/whatsapp", params=params) as response:
        assert response.status == 200
        assert response.content_type == "text/plain"
        assert await response.text() == "0115"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
    ids=["wrong-token", "wrong-mode", "nothing"],
)
async def test_handshake_with_anything_else_is_403(
    client: AppClient, params: dict[str, str]
) -> None:
    async with client.get("/webhooks/whatsapp", params=params) as response:
        assert response.status == 403


async def test_signed_webhook_is_accepted_and_handled(
    client: AppClient, recorder: Recorder
) -> None:
    raw = (PAYLOADS / "text_message.json").read_bytes()

    code, _ = await signed_post(client, raw, SECRET)

    assert code == 200
    [event] = recorder.events
    assert isinstance(event, WaInbound)
    assert event.message.text == "Does it come in another color?"


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64], ids=["missing", "forged"])
async def test_bad_signature_is_401_and_nothing_is_handled(
    client: AppClient, recorder: Recorder, signature: str
) -> None:
    code, _ = await signed_post(client, text_webhook(PHONE, "halo"), SECRET, signature=signature)

    assert code == 401
    assert recorder.batches == []


async def test_signature_is_checked_before_parsing(client: AppClient, recorder: Recorder) -> None:
    code, _ = await signed_post(client, b"not json at all", SECRET, signature="sha256=00")

    assert code == 401


async def test_bad_json_with_a_good_signature_is_400_with_a_reason(
    client: AppClient, recorder: Recorder
) -> None:
    code, text = await signed_post(client, b'{"object": 1}', SECRET)

    assert code == 400
    assert "whatsapp webhook" in text
    assert recorder.batches == []


async def test_duplicate_wamid_is_handled_once(client: AppClient, recorder: Recorder) -> None:
    body = text_webhook(PHONE, "halo", wamid="wamid.DUP=")

    first, _ = await signed_post(client, body, SECRET)
    second, _ = await signed_post(client, body, SECRET)

    assert (first, second) == (200, 200)
    assert len(recorder.events) == 1


async def test_statuses_of_one_message_are_not_duplicates_of_each_other(
    client: AppClient, recorder: Recorder
) -> None:
    await signed_post(client, status_webhook(status("wamid.O=", "sent", PHONE)), SECRET)
    await signed_post(client, status_webhook(status("wamid.O=", "read", PHONE)), SECRET)
    await signed_post(client, status_webhook(status("wamid.O=", "read", PHONE)), SECRET)

    assert [e.status for e in recorder.events if isinstance(e, StatusEvent)] == ["sent", "read"]


async def test_failed_handling_is_500_and_meta_retry_is_processed(
    client: AppClient, recorder: Recorder
) -> None:
    body = text_webhook(PHONE, "halo", wamid="wamid.RETRY=")
    recorder.fail_next = True

    first, _ = await signed_post(client, body, SECRET)
    second, _ = await signed_post(client, body, SECRET)

    assert (first, second) == (500, 200)
    assert len(recorder.events) == 1


async def test_oversized_body_is_413(client: AppClient, recorder: Recorder) -> None:
    raw = (
        b'{"object": "whatsapp_business_account", "entry": [], "pad": "' + b"x" * MAX_BODY + b'"}'
    )

    code, _ = await signed_post(client, raw, SECRET)

    assert code == 413
    assert recorder.batches == []


async def test_oversized_chunked_body_is_413(client: AppClient, recorder: Recorder) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * (MAX_BODY // 4)

    async with client.post(
        "/webhooks/whatsapp", data=chunks(), headers={"X-Hub-Signature-256": "sha256=00"}
    ) as response:
        assert response.status == 413


async def test_batch_of_1000_statuses_is_accepted_in_one_call(
    client: AppClient, recorder: Recorder
) -> None:
    statuses = [status(f"wamid.B{i}=", "delivered", PHONE) for i in range(1000)]
    body = status_webhook(*statuses)

    code, _ = await signed_post(client, body, SECRET)

    assert code == 200
    assert len(recorder.batches) == 1
    assert len(recorder.events) == 1000


async def test_batch_with_two_entries_of_two_messages_handles_all_four(
    client: AppClient, recorder: Recorder
) -> None:
    values = [
        value(messages=[text_message(PHONE, f"{i}"), text_message(PHONE, f"{i}b")]) for i in (1, 2)
    ]

    code, _ = await signed_post(client, webhook(*values, entries=2), SECRET)

    assert code == 200
    texts = [e.message.text for e in recorder.events if isinstance(e, WaInbound)]
    assert texts == ["1", "1b", "2", "2b"]


def test_dedup_forgets_after_the_ttl() -> None:
    now = [0.0]
    dedup = WamidDedup(monotonic=lambda: now[0])

    assert dedup.claim("w")
    now[0] += 7 * 24 * 3600
    assert not dedup.claim("w")
    now[0] += 2 * 3600
    assert dedup.claim("w")


def test_dedup_is_bounded() -> None:
    dedup = WamidDedup(max_entries=3)

    for key in "abcde":
        dedup.claim(key)

    assert len(dedup) == 3
    assert dedup.claim("a")
    assert not dedup.claim("e")


@pytest.mark.parametrize(("token", "secret"), [("", SECRET), (VERIFY_TOKEN, "")])
def test_routes_refuse_an_empty_secret_or_token(token: str, secret: str) -> None:
    app = web.Application()

    with pytest.raises(ValueError, match="QUALIBOT_WHATSAPP__"):
        whatsapp_routes(app.router, verify_token=token, app_secret=secret, handle=Recorder())
