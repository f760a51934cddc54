"""SDRs on Telegram: the handoff card, Accept / Reject / Won through its buttons, reasons, and
delivery through the outbox when Telegram says 429 or 403. Same rig as the prospect tests."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import DB, SDRS, WORKER
from storage import handoffs
from storage.handoffs import Handoff
from storage.sdrs import add_sdr
from tests.e2e.test_telegram_conversation import (
    PROSPECT,
    SALES_GROUP,
    Clock,
    MakeClient,
    Rig,
    start_rig,
    telegram_settings,
)
from tests.fakes.telegram_api import FakeTelegram, Json, text_update

SDR_USER = 777  # a member of the sales group
SDR_CHAT = 8888  # an SDR's private chat with the bot


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def rig(aiohttp_client: MakeClient, tmp_path: Path, fake: FakeTelegram) -> Rig:
    return await start_rig(aiohttp_client, telegram_settings(tmp_path, fake), fake, Clock())


async def the_handoff(rig: Rig) -> Handoff:
    lead = await rig.lead(PROSPECT)
    assert lead is not None
    async with rig.app[DB].connection() as conn:
        found = await handoffs.get_handoff_for_lead(conn, lead.id)
    assert found is not None
    return found


async def qualified(rig: Rig, chat: int = SALES_GROUP) -> Json:
    """Play a whole conversation; wait for the handoff card in `chat` and return it."""
    await rig.converse(PROSPECT)
    await rig.eventually(lambda: bool(rig.fake.sent_to(chat)))
    return rig.keyboard_message(chat)


def buttons(message: Json) -> list[tuple[str, str]]:
    rows = message["reply_markup"]["inline_keyboard"]
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def group_text(user: int, text: str, *, message_id: int) -> Json:
    update = text_update(user, text, message_id=message_id, first_name="Sari")
    update["message"]["chat"] = {"id": SALES_GROUP, "type": "supergroup", "title": "Sales"}
    return update


async def test_the_sales_group_receives_exactly_one_handoff_with_accept_and_reject(
    rig: Rig,
) -> None:
    card = await qualified(rig)
    for _ in range(3):  # later passes of the worker, later retries: still one card
        rig.clock.advance(minutes=5)
        await rig.app[WORKER].run_once()

    handoff = await the_handoff(rig)
    assert len(rig.fake.sent_to(SALES_GROUP)) == 1
    assert card["text"].startswith("🔥 New qualified lead: Budi (PT Maju Jaya)")
    assert "source: fb_ads" in card["text"]
    assert buttons(card) == [
        ("✅ Accept", f"ho:accept:{handoff.id}"),
        ("❌ Reject", f"ho:reject:{handoff.id}"),
    ]


async def test_accept_records_who_and_when_and_offers_won_and_lost(rig: Rig) -> None:
    card = await qualified(rig)
    handoff = await the_handoff(rig)

    status = await rig.press_from(
        SDR_USER, SALES_GROUP, f"ho:accept:{handoff.id}", first_name="Sari"
    )

    assert status == 200
    decided = await the_handoff(rig)
    assert (decided.status, decided.decided_by, decided.decided_at) == (
        "accepted",
        "Sari",
        rig.clock.now,
    )
    # the card is edited right after the answer, in the background
    await rig.eventually(
        lambda: "Accepted" in rig.fake.messages[SALES_GROUP, card["message_id"]]["text"]
    )
    edited = rig.fake.messages[SALES_GROUP, card["message_id"]]
    assert edited["text"].endswith("✅ Accepted by Sari, 13 May 03:00 UTC")
    assert buttons(edited) == [
        ("🏆 Won", f"ho:won:{handoff.id}"),
        ("Lost", f"ho:lost:{handoff.id}"),
    ]
    assert list(rig.fake.answered.values())[-1]["text"] == "Handoff accepted."


async def test_won_after_accept_closes_the_deal_on_the_card(rig: Rig) -> None:
    card = await qualified(rig)
    handoff = await the_handoff(rig)
    await rig.press_from(SDR_USER, SALES_GROUP, f"ho:accept:{handoff.id}", first_name="Sari")

    await rig.press_from(SDR_USER, SALES_GROUP, f"ho:won:{handoff.id}", first_name="Sari")

    assert (await the_handoff(rig)).status == "won"
    await rig.eventually(
        lambda: "🏆 Won" in rig.fake.messages[SALES_GROUP, card["message_id"]]["text"]
    )
    edited = rig.fake.messages[SALES_GROUP, card["message_id"]]
    assert "🏆 Won by Sari" in edited["text"]
    assert "reply_markup" not in edited


async def test_reject_in_the_sales_group_asks_why_and_records_the_typed_reason(rig: Rig) -> None:
    await qualified(rig)
    handoff = await the_handoff(rig)

    await rig.press_from(SDR_USER, SALES_GROUP, f"ho:reject:{handoff.id}", first_name="Sari")
    await rig.post(group_text(SDR_USER, "budget terlalu kecil untuk kami", message_id=5000))

    rejected = await the_handoff(rig)
    assert (rejected.status, rejected.reject_reason) == (
        "rejected",
        "budget terlalu kecil untuk kami",
    )
    assert rig.fake.texts_to(SALES_GROUP)[-2:] == [
        "Why was it rejected? Reply with the reason.",
        "Thanks, the reason is recorded.",
    ]


async def test_an_sdr_in_a_private_chat_gets_the_handoff_and_decides_there(rig: Rig) -> None:
    async with rig.app[DB].transaction() as conn:
        await add_sdr(conn, "Sari", now=rig.clock.now, telegram_chat_id=str(SDR_CHAT))
    await rig.app[SDRS].refresh()

    await qualified(rig, chat=SDR_CHAT)
    handoff = await the_handoff(rig)
    await rig.press(SDR_CHAT, f"ho:reject:{handoff.id}", first_name="Sari")
    await rig.say(SDR_CHAT, "sudah pakai kompetitor")

    assert rig.fake.sent_to(SALES_GROUP) == []
    rejected = await the_handoff(rig)
    assert (rejected.status, rejected.sdr_id, rejected.reject_reason) == (
        "rejected",
        1,
        "sudah pakai kompetitor",
    )


async def test_a_decision_from_a_chat_that_is_no_sdrs_is_refused(rig: Rig) -> None:
    await qualified(rig)
    handoff = await the_handoff(rig)
    forged = rig.keyboard_message(SALES_GROUP)
    forged = {**forged, "chat": {"id": PROSPECT, "type": "private", "first_name": "Budi"}}
    rig.fake.messages[PROSPECT, forged["message_id"]] = forged

    await rig.press(PROSPECT, f"ho:accept:{handoff.id}")

    assert (await the_handoff(rig)).status == "open"
    await rig.eventually(lambda: bool(rig.fake.answered))  # answered in the background
    assert list(rig.fake.answered.values())[-1]["text"] == "Only SDRs can decide on handoffs."


async def test_sdr_small_talk_gets_a_help_line_and_never_becomes_a_lead(rig: Rig) -> None:
    async with rig.app[DB].transaction() as conn:
        await add_sdr(conn, "Sari", now=rig.clock.now, telegram_chat_id=str(SDR_CHAT))
    await rig.app[SDRS].refresh()

    await rig.say(SDR_CHAT, "halo bot")

    assert await rig.lead(SDR_CHAT) is None
    [help_line] = rig.fake.texts_to(SDR_CHAT)
    assert help_line.startswith("This chat receives handoffs")


# --- delivery through the outbox -------------------------------------------------------------


async def test_429_on_the_sdr_send_is_retried_after_retry_after_and_delivered_once(
    rig: Rig,
) -> None:
    rig.fake.fail("sendMessage", 429, "Too Many Requests: retry after 7", 7, chat_id=SALES_GROUP)

    await rig.converse(PROSPECT)
    await rig.eventually(lambda: any(c.status == 429 for c in rig.fake.calls))
    await rig.app[WORKER].run_once()  # not due yet: Telegram said 7 s
    early = list(rig.fake.sent_to(SALES_GROUP))
    rig.clock.advance(seconds=8)
    await rig.eventually(lambda: bool(rig.fake.sent_to(SALES_GROUP)))
    rig.clock.advance(minutes=5)
    await rig.app[WORKER].run_once()

    assert early == []
    assert len(rig.fake.sent_to(SALES_GROUP)) == 1
    handoff = await the_handoff(rig)
    assert handoff.delivery is not None
    assert handoff.delivery[f"telegram:{SALES_GROUP}"]["status"] == "sent"


async def test_403_from_the_sdr_chat_fails_the_delivery_and_keeps_it_in_the_inbox(
    rig: Rig,
) -> None:
    rig.fake.blocked.add(SALES_GROUP)  # the bot was removed from the group

    await rig.converse(PROSPECT)
    await rig.eventually(lambda: any(c.status == 403 for c in rig.fake.calls))
    for _ in range(100):
        handoff = await the_handoff(rig)
        if handoff.delivery and f"telegram:{SALES_GROUP}" in handoff.delivery:
            break
        await asyncio.sleep(0.02)

    assert handoff.delivery is not None
    failed = handoff.delivery[f"telegram:{SALES_GROUP}"]
    assert failed["status"] == "failed"
    assert "blocked" in failed["error"]
    assert handoff.status == "open"
    async with rig.app[DB].connection() as conn:
        inbox = await handoffs.list_handoffs(conn, status="open")
    assert [item.id for item in inbox] == [handoff.id]
