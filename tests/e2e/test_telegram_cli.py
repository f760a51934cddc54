"""`qualibot telegram set-webhook|delete-webhook|webhook-info` against FakeTelegram.

The command runs its own event loop (asyncio.run), so it runs in a thread while the fake
serves on the test's loop.
"""

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.channels.telegram_web import ALLOWED_UPDATES
from bot.cli import main
from tests.fakes.telegram_api import FakeTelegram

URL = "https://bot.example.com/webhooks/telegram"


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        monkeypatch.setenv("QUALIBOT_TELEGRAM__TOKEN", fake.token)
        monkeypatch.setenv("QUALIBOT_TELEGRAM__API_URL", fake.api_url)
        monkeypatch.setenv("QUALIBOT_TELEGRAM__WEBHOOK_SECRET", "s3cret")
        yield fake


async def qualibot(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_set_webhook_registers_the_url_with_the_secret_and_update_types(
    fake: FakeTelegram,
) -> None:
    code = await qualibot("telegram", "set-webhook", URL)

    assert code == 0
    [call] = fake.calls_of("setWebhook")
    assert call["url"] == URL
    assert call["secret_token"] == "s3cret"
    assert call["allowed_updates"] == list(ALLOWED_UPDATES)
    assert call["drop_pending_updates"] is False


async def test_set_webhook_can_drop_what_telegram_is_holding(fake: FakeTelegram) -> None:
    fake.push_update({"message": {}})

    code = await qualibot("telegram", "set-webhook", URL, "--drop-pending")

    assert code == 0
    assert fake.updates == []


async def test_set_webhook_without_a_secret_names_the_variable(
    fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("QUALIBOT_TELEGRAM__WEBHOOK_SECRET")

    code = await qualibot("telegram", "set-webhook", URL)

    assert code == 2
    assert "QUALIBOT_TELEGRAM__WEBHOOK_SECRET" in capsys.readouterr().err
    assert fake.calls_of("setWebhook") == []


async def test_a_plain_http_url_is_refused_before_calling_telegram(fake: FakeTelegram) -> None:
    code = await qualibot("telegram", "set-webhook", "http://bot.example.com/webhooks/telegram")

    assert code == 2
    assert fake.calls == []


async def test_a_wrong_token_fails_with_telegrams_answer(
    fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QUALIBOT_TELEGRAM__TOKEN", "999:wrong")

    code = await qualibot("telegram", "set-webhook", URL)

    assert code == 1
    assert "telegram refused" in capsys.readouterr().err


async def test_delete_webhook_and_info(
    fake: FakeTelegram, capsys: pytest.CaptureFixture[str]
) -> None:
    await qualibot("telegram", "set-webhook", URL)

    deleted = await qualibot("telegram", "delete-webhook")
    info = await qualibot("telegram", "webhook-info")

    assert (deleted, info) == (0, 0)
    assert fake.webhook == {}
    assert "url: (none: polling)" in capsys.readouterr().out
