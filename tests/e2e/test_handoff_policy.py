"""Handoffs as the policy makes them, seen at the fake Telegram server: the SDR hears of a
new SQL at once (no grace by default), later details edit the card, an opt-out withdraws it,
and a person asked for is handed off before any qualifying."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import DB, SDRS
from storage import handoffs
from storage.sdrs import add_sdr
from tests.e2e.test_telegram_conversation import (
    CONVERSATION,
    PROSPECT,
    SALES_GROUP,
    Clock,
    MakeClient,
    Rig,
    start_rig,
    telegram_settings,
)
from tests.fakes.telegram_api import FakeTelegram

SDR_CHAT = 8888  # an SDR's private chat with the bot


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def rig(aiohttp_client: MakeClient, tmp_path: Path, fake: FakeTelegram) -> Rig:
    return await start_rig(aiohttp_client, telegram_settings(tmp_path, fake), fake, Clock())


async def status_of_handoff(rig: Rig) -> str:
    lead = await rig.lead(PROSPECT)
    assert lead is not None
    async with rig.app[DB].connection() as conn:
        found = await handoffs.get_handoff_for_lead(conn, lead.id)
    assert found is not None
    return found.status


async def test_the_sdr_is_told_of_a_new_sql_without_any_wait(rig: Rig) -> None:
    # everything up to the answer that makes the lead SQL ("bulan depan")
    await rig.converse(PROSPECT, CONVERSATION[:-1])

    # the clock never moves: the routing was due at the very message that qualified them
    await rig.eventually(lambda: bool(rig.fake.sent_to(SALES_GROUP)), seconds=5)
    [card] = rig.fake.texts_to(SALES_GROUP)
    assert card.startswith("🔥 New qualified lead: Budi (PT Maju Jaya)")


async def test_details_after_the_handoff_edit_the_card_and_make_no_second_one(
    rig: Rig,
) -> None:
    await rig.converse(PROSPECT, CONVERSATION[:-1])
    await rig.eventually(lambda: bool(rig.fake.sent_to(SALES_GROUP)))

    await rig.say(PROSPECT, "0812-3456-7890")

    def edited() -> bool:
        return any(
            "+6281234567890" in str(call.get("text"))
            for call in rig.fake.calls_of("editMessageText")
            if str(call.get("chat_id")) == str(SALES_GROUP)
        )

    await rig.eventually(edited)
    assert len(rig.fake.sent_to(SALES_GROUP)) == 1  # the same card, not a second handoff


async def test_an_opt_out_after_the_handoff_withdraws_it_and_tells_the_sdr(rig: Rig) -> None:
    await rig.converse(PROSPECT, CONVERSATION[:-1])
    await rig.eventually(lambda: bool(rig.fake.sent_to(SALES_GROUP)))

    await rig.say(PROSPECT, "maaf ga jadi, jangan hubungi saya lagi")

    await rig.eventually(lambda: len(rig.fake.texts_to(SALES_GROUP)) == 2)
    assert rig.fake.texts_to(SALES_GROUP)[-1].startswith("⛔ Budi (PT Maju Jaya) opted out")
    assert await status_of_handoff(rig) == "withdrawn"
    lead = await rig.lead(PROSPECT)
    assert lead is not None
    assert lead.opted_out


async def test_a_person_asked_for_is_handed_off_before_any_qualifying(rig: Rig) -> None:
    await rig.say(PROSPECT, "/start")
    await rig.say(PROSPECT, "ya")

    await rig.say(PROSPECT, "bisa ngobrol sama sales aja?")

    await rig.eventually(lambda: bool(rig.fake.sent_to(SALES_GROUP)))
    [card] = rig.fake.texts_to(SALES_GROUP)
    assert card.startswith("🙋 Asked to talk to a person: Budi")
    assert "reach them now" in card
    lead = await rig.lead(PROSPECT)
    assert lead is not None
    assert lead.stage != "sql"  # not qualified, and handed off all the same
    # on Telegram: who will get back to them and when, then an optional number
    texts = rig.fake.texts_to(PROSPECT)
    assert texts[-2].startswith("Terima kasih, Budi! Tim sales kami akan menghubungi Anda")
    assert texts[-1].startswith("Sambil menunggu, boleh nomor WhatsApp")


async def test_the_prospect_is_told_the_name_of_the_sdr_who_has_the_lead(rig: Rig) -> None:
    async with rig.app[DB].transaction() as conn:
        await add_sdr(conn, "Rina Wulandari", now=rig.clock.now, telegram_chat_id=str(SDR_CHAT))
    await rig.app[SDRS].refresh()

    await rig.converse(PROSPECT, CONVERSATION[:-1])

    await rig.eventually(lambda: bool(rig.fake.sent_to(SDR_CHAT)))
    await rig.eventually(
        lambda: (
            "Rina dari tim sales kami yang akan menghubungi Anda." in rig.fake.texts_to(PROSPECT)
        )
    )
