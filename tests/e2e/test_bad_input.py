"""Bad input on the web chat API: a clear 4xx or a polite re-ask, never a 500 or a bad row."""

import pytest

from bot.app import DB
from storage import leads, messages
from tests.e2e.conftest import AppClient, chat


async def test_malformed_json_is_a_400_with_a_reason(client: AppClient) -> None:
    response = await client.post(
        "/api/chat", data=b"{not json", headers={"Content-Type": "application/json"}
    )

    assert response.status == 400
    assert "not valid JSON" in (await response.json())["error"]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"message_id": "m1", "text": "hi"}, "session: Field required"),
        (
            {"session": "s", "message_id": 5, "text": "hi"},
            "message_id: Input should be a valid string",
        ),
        (
            {"session": "s", "message_id": "m", "text": ["hi"]},
            "text: Input should be a valid string",
        ),
        (
            {"session": "a b", "message_id": "m", "text": "hi"},
            "session: String should match pattern",
        ),
        ({"session": "s", "message_id": "m", "text": "hi", "admin": True}, "admin: Extra inputs"),
        ([1, 2], "Input should be a valid dictionary"),
    ],
)
async def test_missing_fields_and_wrong_types_are_400(
    client: AppClient, body: object, problem: str
) -> None:
    response = await client.post("/api/chat", json=body)

    assert response.status == 400
    assert problem in (await response.json())["error"]


@pytest.mark.parametrize(
    "said",
    [{}, {"text": None, "choice": None}, {"text": "", "choice": ""}, {"text": "  \n"}],
    ids=["nothing", "nulls", "empty", "blank"],
)
async def test_a_message_without_text_or_choice_is_400(
    client: AppClient, said: dict[str, object]
) -> None:
    response = await client.post("/api/chat", json={"session": "s", "message_id": "m", **said})

    assert response.status == 400
    assert (await response.json())["error"] == "body: a message needs a text or a choice"


async def test_oversized_body_is_413(client: AppClient) -> None:
    response = await client.post("/api/chat", data=b"x" * 300_000)

    assert response.status == 413


async def test_ten_thousand_character_message_is_refused_clearly(client: AppClient) -> None:
    response = await client.post(
        "/api/chat", json={"session": "s", "message_id": "m", "text": "a" * 10_000}
    )

    assert response.status == 400
    assert "at most 4000 characters" in (await response.json())["error"]


async def test_emoji_only_message_gets_a_reply(client: AppClient) -> None:
    await chat(client, "s", "m1", "Halo")

    body = await chat(client, "s", "m2", "🙏🙏😂")

    assert body["replies"]


async def test_control_characters_are_dropped_before_storage(client: AppClient) -> None:
    await chat(client, "ctl", "m1", "Ha\x00lo\x07 kak")

    async with client.app[DB].connection() as conn:
        lead = await leads.find_lead(conn, "web", "ctl")
        assert lead is not None
        stored = await messages.transcript(conn, lead.id)
    assert stored[0].text == "Halo kak"


async def test_sql_looking_text_is_just_text(client: AppClient) -> None:
    await chat(client, "sql", "m1", "Halo")
    await chat(client, "sql", "m2", "", "yes")

    await chat(client, "sql", "m3", "Robert'); DROP TABLE leads;--")

    async with client.app[DB].connection() as conn:
        lead = await leads.find_lead(conn, "web", "sql")
        assert lead is not None
        said = [m.text for m in await messages.transcript(conn, lead.id) if m.direction == "in"]
    assert said[-1] == "Robert'); DROP TABLE leads;--"  # stored as it was typed
    assert lead.name == "Robert"  # the name in it, not the rest


async def test_healthz(client: AppClient) -> None:
    response = await client.get("/healthz")

    assert response.status == 200
    assert (await response.json())["ok"] is True


async def test_chat_page_is_served(client: AppClient) -> None:
    response = await client.get("/")

    assert response.status == 200
    assert "/api/chat" in await response.text()
