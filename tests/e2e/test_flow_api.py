"""The JSON admin API for flows, over HTTP against the real app: tokens, drafts that do not go
live, publishing to new chats only, rollback, and the funnel per version."""

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from pydantic import SecretStr

from bot.app import build_app
from bot.config import Settings
from dialogs import BUNDLED_FLOW
from tests.e2e.conftest import AppClient, chat

TOKEN = "t0ken-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
OLD_GREETING = "Halo! 👋 Saya asisten virtual"
NEW_GREETING = "Selamat datang! 👋 Saya asisten virtual"
OLD_NAME_QUESTION = "Terima kasih! Dengan siapa saya berbicara?"
NEW_NAME_QUESTION = "Terima kasih! Siapa nama lengkap Anda?"
MakeClient = Callable[[web.Application], Awaitable[AppClient]]


def edited() -> str:
    """The bundled flow with a new greeting and a reworded name question."""
    source = BUNDLED_FLOW.read_text(encoding="utf-8")
    return source.replace("Halo! 👋", "Selamat datang! 👋").replace(
        OLD_NAME_QUESTION, NEW_NAME_QUESTION
    )


@pytest.fixture
async def api(aiohttp_client: MakeClient, any_settings: Settings) -> AppClient:
    settings = any_settings.model_copy(update={"admin_token": SecretStr(TOKEN)})
    return await aiohttp_client(build_app(settings))


async def put_draft(api: AppClient, source: str) -> tuple[int, dict[str, Any]]:
    response = await api.put("/api/admin/flows/bant/draft", data=source.encode(), headers=AUTH)
    body: dict[str, Any] = await response.json()
    return response.status, body


async def draft(api: AppClient) -> str:
    response = await api.get("/api/admin/flows/bant/draft", headers=AUTH)
    assert response.status == 200
    return await response.text()


async def post(api: AppClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post(f"/api/admin/flows/bant/{path}", json=body, headers=AUTH)
    assert response.status == 200, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def test_requests_without_the_right_token_are_refused(api: AppClient) -> None:
    missing = await api.get("/api/admin/flows")
    wrong = await api.get("/api/admin/flows", headers={"Authorization": "Bearer nope"})
    publish = await api.post("/api/admin/flows/bant/publish", json={})

    assert (missing.status, wrong.status, publish.status) == (401, 401, 401)
    assert "QUALIBOT_ADMIN_TOKEN" in (await missing.json())["error"]


async def test_without_a_configured_token_the_api_is_off(
    aiohttp_client: MakeClient, settings: Settings
) -> None:
    client = await aiohttp_client(build_app(settings))

    response = await client.get("/api/admin/flows", headers={"Authorization": "Bearer "})

    assert response.status == 401


async def test_the_bundled_flow_is_version_one(api: AppClient) -> None:
    response = await api.get("/api/admin/flows", headers=AUTH)

    body = await response.json()
    assert response.status == 200
    assert [(f["name"], f["published_version"]) for f in body["flows"]] == [("bant", 1)]
    assert [v["version"] for v in body["flows"][0]["versions"]] == [1]
    assert await draft(api) == BUNDLED_FLOW.read_text(encoding="utf-8")


async def test_broken_yaml_is_422_naming_the_line_and_changes_nothing(api: AppClient) -> None:
    before = await draft(api)
    broken = before.replace("    retries: 1\n", "    retries: lots\n", 1)
    line = broken.splitlines().index("    retries: lots") + 1
    unparsable = before + "\n  - [unclosed\n"

    status, body = await put_draft(api, broken)
    yaml_status, yaml_body = await put_draft(api, unparsable)

    assert status == 422
    assert body["errors"][0]["line"] == line
    assert "retries" in body["errors"][0]["path"]
    assert body["errors"][0]["message"]
    assert yaml_status == 422
    assert yaml_body["errors"][0]["line"] > before.count("\n")
    assert await draft(api) == before


async def test_an_edited_draft_simulates_but_is_not_live(api: AppClient) -> None:
    status, _ = await put_draft(api, edited())

    simulated = await post(api, "simulate", {"messages": ["Halo", {"choice": "yes"}]})
    live = await chat(api, "prospect-1", "m1", "Halo")

    assert status == 200
    assert await draft(api) == edited()
    turns = simulated["turns"]
    assert [t["from"] for t in turns] == ["prospect", "bot", "prospect", "bot"]
    assert turns[1]["text"].startswith(NEW_GREETING)
    assert turns[3]["text"] == NEW_NAME_QUESTION
    assert {"id": "yes", "label": "Ya"} in turns[1]["choices"]
    assert all(t["stage"] == "lead" for t in turns)
    assert isinstance(turns[3]["score"], int)
    assert live["replies"][0]["text"].startswith(OLD_GREETING)


async def test_publish_reaches_new_chats_and_a_chat_in_flight_keeps_its_version(
    api: AppClient,
) -> None:
    in_flight = await chat(api, "before", "b1", "Halo")
    await put_draft(api, edited())

    published = await post(api, "publish", {"note": "warmer greeting"})
    new_greeting = await chat(api, "after", "a1", "Halo")
    new_question = await chat(api, "after", "a2", choice="yes")
    old_question = await chat(api, "before", "b2", choice="yes")
    flows = await (await api.get("/api/admin/flows", headers=AUTH)).json()

    assert in_flight["replies"][0]["text"].startswith(OLD_GREETING)
    assert published == {"version": 2}
    assert new_greeting["replies"][0]["text"].startswith(NEW_GREETING)
    assert new_question["replies"][-1]["text"] == NEW_NAME_QUESTION
    assert old_question["replies"][-1]["text"] == OLD_NAME_QUESTION
    assert flows["flows"][0]["published_version"] == 2
    assert flows["flows"][0]["versions"][0]["note"] == "warmer greeting"


async def test_rollback_publishes_the_old_text_as_the_newest_version(api: AppClient) -> None:
    await put_draft(api, edited())
    await post(api, "publish", {})

    rolled_back = await post(api, "rollback", {"version": 1})
    greeting = await chat(api, "later", "l1", "Halo")
    v1 = await api.get("/api/admin/flows/bant/versions/1", headers=AUTH)
    v3 = await api.get("/api/admin/flows/bant/versions/3", headers=AUTH)
    missing = await api.post("/api/admin/flows/bant/rollback", json={"version": 9}, headers=AUTH)

    assert rolled_back == {"version": 3}
    assert greeting["replies"][0]["text"].startswith(OLD_GREETING)
    assert await v3.text() == await v1.text() == BUNDLED_FLOW.read_text(encoding="utf-8")
    assert missing.status == 404


async def test_the_funnel_counts_conversations_per_version(api: AppClient) -> None:
    await chat(api, "one", "o1", "Halo")
    await chat(api, "one", "o2", choice="yes")
    await chat(api, "two", "t1", "Halo")
    await put_draft(api, edited())
    await post(api, "publish", {})
    await chat(api, "three", "h1", "Halo")

    response = await api.get("/api/admin/flows/bant/funnel", headers=AUTH)

    body = await response.json()
    assert response.status == 200
    by_version = {v["version"]: v for v in body["versions"]}
    assert (by_version[1]["conversations"], by_version[2]["conversations"]) == (2, 1)
    assert by_version[1]["stages"] == {"lead": 2}
    questions = {q["id"]: q for q in by_version[1]["questions"]}
    assert questions["consent"] == {"id": "consent", "asked": 2, "answered": 1, "dropped": 1}
    assert questions["name"] == {"id": "name", "asked": 1, "answered": 0, "dropped": 1}
    assert [q["id"] for q in by_version[1]["questions"]] == ["consent", "name"]


async def test_a_draft_naming_another_flow_is_refused(api: AppClient) -> None:
    other = BUNDLED_FLOW.read_text(encoding="utf-8").replace("id: bant\n", "id: other\n", 1)

    status, body = await put_draft(api, other)

    assert status == 422
    assert body["errors"][0]["path"] == "id"


async def test_another_worker_on_the_database_takes_a_publish_within_its_poll(
    aiohttp_client: MakeClient, any_settings: Settings
) -> None:
    settings = any_settings.model_copy(
        update={"admin_token": SecretStr(TOKEN), "flow_check_seconds": 0.05}
    )
    first = await aiohttp_client(build_app(settings))
    second = await aiohttp_client(build_app(settings))
    await put_draft(first, edited())

    await post(first, "publish", {})
    for _ in range(100):  # the second worker polls every 50 ms
        health = await (await second.get("/healthz")).json()
        if health["flow"] == "bant v2":
            break
        await asyncio.sleep(0.05)
    greeting = await chat(second, "elsewhere", "e1", "Halo")

    assert health["flow"] == "bant v2"
    assert greeting["replies"][0]["text"].startswith(NEW_GREETING)


async def test_an_ended_conversation_restarts_on_the_published_version(api: AppClient) -> None:
    await chat(api, "declined", "d1", "Halo")
    ended = await chat(api, "declined", "d2", choice="no")
    await put_draft(api, edited())
    await post(api, "publish", {})

    restarted = await chat(api, "declined", "d3", "mulai dari awal")

    assert ended["stage"] == "not_qualified"  # declined: the conversation ended
    assert any(r["text"].startswith(NEW_GREETING) for r in restarted["replies"]), restarted


async def test_two_workers_rolling_back_at_once_make_two_versions(
    aiohttp_client: MakeClient, any_settings: Settings
) -> None:
    settings = any_settings.model_copy(update={"admin_token": SecretStr(TOKEN)})
    first = await aiohttp_client(build_app(settings))
    second = await aiohttp_client(build_app(settings))

    answers = await asyncio.gather(
        post(first, "rollback", {"version": 1}), post(second, "rollback", {"version": 1})
    )

    assert sorted(a["version"] for a in answers) == [2, 3]


async def test_after_the_first_start_the_database_wins_over_the_flow_file(
    aiohttp_client: MakeClient,
    any_settings: Settings,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = await aiohttp_client(build_app(any_settings))
    await chat(first, "early", "e1", "Halo")
    file = tmp_path / "bant.yaml"
    file.write_text(edited(), encoding="utf-8")

    restarted = await aiohttp_client(build_app(any_settings.model_copy(update={"flow": file})))
    greeting = await chat(restarted, "later", "l1", "Halo")

    assert greeting["replies"][0]["text"].startswith(OLD_GREETING)
    assert "the flow file differs from the published v1; the database wins" in caplog.text
