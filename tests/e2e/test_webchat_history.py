"""The web chat's history over HTTP: what a reloaded page is given to show."""

from typing import Any

import pytest

from tests.e2e.conftest import AppClient, chat

SESSION = "0f8e2a52-9c1d-4c1b-a1f4-3d2b7e6c5a90"


async def history(client: AppClient, session: str) -> dict[str, Any]:
    response = await client.get("/api/chat/history", params={"session": session})
    assert response.status == 200, await response.text()
    assert response.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = await response.json()
    return body


async def test_history_is_the_conversation_in_order_with_presses_as_their_labels(
    any_client: AppClient,
) -> None:
    await chat(any_client, SESSION, "m1", "Halo")
    await chat(any_client, SESSION, "m2", choice="yes")
    last = await chat(any_client, SESSION, "m3", "Budi Santoso")

    body = await history(any_client, SESSION)

    said = [(m["from"], m["text"]) for m in body["messages"]]
    assert said[:2] == [("me", "Halo"), ("bot", said[1][1])]
    assert said[1][1].startswith("Halo! 👋")
    assert body["messages"][1]["choices"] == [
        {"id": "yes", "label": "Ya"},
        {"id": "no", "label": "Tidak"},
    ]
    assert said[2:5] == [
        ("me", "Ya"),
        ("bot", "Terima kasih! Dengan siapa saya berbicara?"),
        ("me", "Budi Santoso"),
    ]
    assert [m["text"] for m in body["messages"][5:]] == [r["text"] for r in last["replies"]]
    assert body["language"] == "id"


async def test_history_of_an_english_conversation_says_english(client: AppClient) -> None:
    await chat(client, SESSION, "m1", "Hi, I'd like some info please")

    body = await history(client, SESSION)

    assert body["language"] == "en"
    assert [m["from"] for m in body["messages"]] == ["me", "bot"]


async def test_an_unknown_session_has_no_history(client: AppClient) -> None:
    assert await history(client, SESSION) == {"messages": [], "language": None}


async def test_history_is_only_that_sessions(client: AppClient) -> None:
    await chat(client, SESSION, "m1", "Halo, saya Budi")
    await chat(client, "another-session-of-someone-else", "m1", "Hi there")

    body = await history(client, "another-session-of-someone-else")

    assert [m["text"] for m in body["messages"] if m["from"] == "me"] == ["Hi there"]


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("", "session is required"),
        ("?session=", "session is required"),
        ("?session=short-id", "at least 16 characters: a shorter id can be guessed"),
        ("?session=" + "a b" * 10, "at most 128 characters of A-Z a-z 0-9 _ . : -"),
        ("?session=" + "a" * 129, "at most 128 characters of A-Z a-z 0-9 _ . : -"),
    ],
    ids=["missing", "empty", "short", "spaces", "long"],
)
async def test_a_missing_or_guessable_session_is_400(
    client: AppClient, query: str, problem: str
) -> None:
    response = await client.get("/api/chat/history" + query)

    assert response.status == 400
    assert problem in (await response.json())["error"]
