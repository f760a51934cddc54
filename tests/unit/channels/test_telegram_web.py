"""The webhook route over HTTP: secret first, parse once, 400 for non-Updates, repeats once."""

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpClient

from bot.channels.telegram_events import Ignored, TelegramEvent, TelegramInbound
from bot.channels.telegram_web import SECRET_HEADER, WEBHOOK_PATH, telegram_routes
from bot.web import errors_middleware
from tests.fakes.telegram_api import AppClient, text_update

PAYLOADS = Path(__file__).parents[2] / "payloads" / "telegram"
SECRET = "s3cret_TOKEN-for-tests"
NOW = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)


class Recorder:
    """The `handle` callback: records every event, can be told to fail once."""

    def __init__(self) -> None:
        self.events: list[TelegramEvent] = []
        self.fail_next = False

    async def __call__(self, event: TelegramEvent) -> None:
        if self.fail_next:
            self.fail_next = False
            raise RuntimeError("database down")
        self.events.append(event)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def client(aiohttp_client: AiohttpClient, recorder: Recorder) -> AppClient:
    app = web.Application(middlewares=[errors_middleware])
    telegram_routes(app.router, secret=SECRET, handle=recorder, clock=lambda: NOW, max_body=4096)
    return await aiohttp_client(app)


async def post(client: AppClient, body: bytes, secret: str | None = SECRET) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    async with client.post(WEBHOOK_PATH, data=body, headers=headers) as response:
        return response.status


async def test_update_with_the_right_secret_is_handled_and_acknowledged(
    client: AppClient, recorder: Recorder
) -> None:
    status = await post(client, (PAYLOADS / "text_message.json").read_bytes())

    assert status == 200
    [event] = recorder.events
    assert isinstance(event, TelegramInbound)
    assert event.message.text == "Hello bot"


@pytest.mark.parametrize(
    "secret", [None, "", "wrong", SECRET + "x"], ids=["missing", "empty", "wrong", "longer"]
)
async def test_missing_or_wrong_secret_is_403_and_nothing_is_handled(
    client: AppClient, recorder: Recorder, secret: str | None
) -> None:
    status = await post(client, (PAYLOADS / "text_message.json").read_bytes(), secret)

    assert status == 403
    assert recorder.events == []


async def test_wrong_secret_is_refused_before_the_body_is_parsed(
    client: AppClient, recorder: Recorder
) -> None:
    status = await post(client, b"{not json", "wrong")

    assert status == 403


async def test_duplicate_update_id_is_handled_once(client: AppClient, recorder: Recorder) -> None:
    body = (PAYLOADS / "text_message.json").read_bytes()

    statuses = [await post(client, body), await post(client, body)]

    assert statuses == [200, 200]
    assert len(recorder.events) == 1


async def test_outdated_documentation_example_is_400_not_500(
    client: AppClient, recorder: Recorder
) -> None:
    body = (PAYLOADS / "text_message_webhook_guide_verbatim.json").read_bytes()

    async with client.post(WEBHOOK_PATH, data=body, headers={SECRET_HEADER: SECRET}) as response:
        assert response.status == 400
        assert "is_bot" in (await response.json())["error"]
    assert recorder.events == []


@pytest.mark.parametrize("body", [b"", b"{", b"[]"], ids=["empty", "broken", "array"])
async def test_malformed_body_is_400(client: AppClient, body: bytes) -> None:
    assert await post(client, body) == 400


async def test_body_over_the_limit_is_413(client: AppClient, recorder: Recorder) -> None:
    body = orjson.dumps(text_update(42, "x" * 5000, update_id=1))

    assert await post(client, body) == 413
    assert recorder.events == []


async def test_updates_we_do_not_use_are_acknowledged(
    client: AppClient, recorder: Recorder
) -> None:
    status = await post(client, (PAYLOADS / "edited_message.json").read_bytes())

    assert status == 200
    [event] = recorder.events
    assert isinstance(event, Ignored)


async def test_failed_handling_is_retried_by_telegram_and_then_accepted(
    client: AppClient, recorder: Recorder
) -> None:
    body = (PAYLOADS / "text_message.json").read_bytes()
    recorder.fail_next = True

    statuses = [await post(client, body), await post(client, body)]

    assert statuses == [500, 200]
    assert len(recorder.events) == 1


def test_a_secret_telegram_would_refuse_is_refused_at_wiring() -> None:
    app = web.Application()

    with pytest.raises(ValueError, match="1-256 characters"):
        telegram_routes(app.router, secret="has spaces", handle=Recorder())
