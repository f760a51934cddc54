"""The web chat over HTTP: whole conversations to SQL, handoff, transcript, idempotency."""

from typing import Any

from bot.app import DB
from storage import handoffs, leads, messages
from tests.e2e.conftest import AppClient, chat

INDONESIAN: list[tuple[str, str | None]] = [
    ("Halo kak", None),
    ("", "yes"),
    ("Budi Santoso", None),
    ("PT Maju Jaya", None),
    ("saya owner, saya yang memutuskan", None),
    ("", "s51_200"),
    ("butuh banget, tim sales kewalahan follow up leads", None),
    ("sekitar 100jt", None),
    ("bulan depan", None),
    ("0812-3456-7890", None),
]
ENGLISH: list[tuple[str, str | None]] = [
    ("Hi, I'd like some info please", None),
    ("yes", None),
    ("Sarah Lee", None),
    ("Acme Logistics", None),
    ("I'm the CTO and I decide", None),
    ("about 120 people", None),
    ("We urgently need to automate follow-ups", None),
    ("around 50 million rupiah", None),
    ("next month", None),
    ("sarah@acme-logistics.com", None),
]


async def converse(
    client: AppClient, session: str, script: list[tuple[str, str | None]]
) -> list[dict[str, Any]]:
    return [
        await chat(client, session, f"{session}-{n}", text, choice)
        for n, (text, choice) in enumerate(script)
    ]


async def test_first_message_answers_with_greeting_and_buttons(client: AppClient) -> None:
    body = await chat(client, "s1", "m1", "Halo")

    assert body["replies"][0]["text"].startswith("Halo! 👋")
    assert body["replies"][0]["choices"] == [
        {"id": "yes", "label": "Ya"},
        {"id": "no", "label": "Tidak"},
    ]
    assert (body["stage"], body["score"], body["duplicate"]) == ("lead", 0, False)
    assert body["language"] == "id"


async def test_indonesian_conversation_reaches_sql_with_one_handoff(client: AppClient) -> None:
    answers = await converse(client, "budi", INDONESIAN)

    assert [a["stage"] for a in answers][-1] == "sql"
    # the answer that made it SQL: who will call and when, then only the optional contact
    promised = [r["text"] for r in answers[-2]["replies"]]
    assert promised[-2].startswith("Terima kasih, Budi Santoso! Tim sales kami akan menghubungi")
    assert promised[-1].startswith("Sambil menunggu, boleh nomor WhatsApp")
    assert answers[-1]["replies"][-1]["text"] == (
        "Terima kasih, sudah saya teruskan ke tim sales kami."
    )
    async with client.app[DB].connection() as conn:
        lead = await leads.find_lead(conn, "web", "budi")
        assert lead is not None
        handoff = await handoffs.get_handoff_for_lead(conn, lead.id)
        transcript = await messages.transcript(conn, lead.id)
    assert handoff is not None
    summary = handoff.summary
    assert summary["contact"]["name"] == "Budi Santoso"
    assert summary["contact"]["company"] == "PT Maju Jaya"
    assert summary["bant"]["budget"]["words"] == "sekitar 100jt"
    assert summary["bant"]["authority"]["value"].endswith("(decision maker)")
    assert summary["band"] in {"hot", "warm"}
    assert summary["reasons"]
    assert summary["next_step"]
    assert summary["transcript_url"] == f"https://bot.example.com/admin/leads/{lead.id}"
    assert [m.text for m in transcript if m.direction == "in"][2:4] == [
        "Budi Santoso",
        "PT Maju Jaya",
    ]
    assert lead.phone == "+6281234567890"


async def test_english_conversation_reaches_sql(client: AppClient) -> None:
    answers = await converse(client, "sarah", ENGLISH)

    assert answers[-1]["stage"] == "sql"
    texts = [r["text"] for a in answers for r in a["replies"]]
    promise = [t for t in texts if "will contact you" in t]
    assert promise == [promise[0]]  # said once, when the lead qualified
    assert promise[0].startswith("Thank you, Sarah Lee! Someone from our sales team")
    assert {a["language"] for a in answers} == {"en"}
    async with client.app[DB].connection() as conn:
        lead = await leads.find_lead(conn, "web", "sarah")
        assert lead is not None
        handoff = await handoffs.get_handoff_for_lead(conn, lead.id)
    assert handoff is not None
    assert handoff.summary["contact"]["email"] == "sarah@acme-logistics.com"


async def test_resending_every_message_changes_nothing(client: AppClient) -> None:
    await converse(client, "budi", INDONESIAN)
    async with client.app[DB].connection() as conn:
        lead = await leads.find_lead(conn, "web", "budi")
        assert lead is not None
        before = await messages.transcript(conn, lead.id)

    again = await converse(client, "budi", INDONESIAN)

    assert all(a["duplicate"] for a in again)
    # a retry is shown what was answered the first time
    assert again[1]["replies"][0]["text"] == "Terima kasih! Dengan siapa saya berbicara?"
    async with client.app[DB].connection() as conn:
        after = await messages.transcript(conn, lead.id)
        listed = await handoffs.list_handoffs(conn)
    assert after == before
    assert len(listed) == 1


async def test_two_sessions_with_the_same_message_id_are_two_messages(
    any_client: AppClient,
) -> None:
    first = await chat(any_client, "alice", "m-1", "Halo kak")

    second = await chat(any_client, "mallory", "m-1", "hi there")

    # mallory's message is processed as her own, and she is never shown alice's replies
    assert first["duplicate"] is False
    assert second["duplicate"] is False
    async with any_client.app[DB].connection() as conn:
        alice = await leads.find_lead(conn, "web", "alice")
        mallory = await leads.find_lead(conn, "web", "mallory")
        assert alice is not None
        assert mallory is not None
        alice_inbound = [
            m.text for m in await messages.transcript(conn, alice.id) if m.direction == "in"
        ]
        mallory_inbound = [
            m.text for m in await messages.transcript(conn, mallory.id) if m.direction == "in"
        ]
    assert alice_inbound == ["Halo kak"]
    assert mallory_inbound == ["hi there"]


async def test_a_retry_is_answered_only_with_that_sessions_replies(any_client: AppClient) -> None:
    await chat(any_client, "alice", "m-1", "Halo kak")
    await chat(any_client, "alice", "m-2", choice="yes")
    await chat(any_client, "mallory", "m-2", "hello")

    retried = await chat(any_client, "mallory", "m-2", "hello")

    assert retried["duplicate"] is True
    texts = [reply["text"] for reply in retried["replies"]]
    assert "Terima kasih! Dengan siapa saya berbicara?" not in texts
    assert texts  # her own greeting comes back


async def test_a_button_press_may_send_null_text(client: AppClient) -> None:
    await chat(client, "nulls", "m1", "Halo")

    response = await client.post(
        "/api/chat",
        json={"session": "nulls", "message_id": "m2", "text": None, "choice": "yes"},
    )

    assert response.status == 200
    body = await response.json()
    assert body["replies"][0]["text"] == "Terima kasih! Dengan siapa saya berbicara?"


async def test_the_answer_says_which_language_the_conversation_switched_to(
    client: AppClient,
) -> None:
    await chat(client, "switch", "m1", "Halo")

    body = await chat(client, "switch", "m2", "English please")

    assert body["language"] == "en"
    assert (await chat(client, "switch", "m2", "English please"))["language"] == "en"  # a retry
