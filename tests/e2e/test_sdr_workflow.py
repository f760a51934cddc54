"""The SDR workflow as a sales team meets it: SDRs added with `qualibot sdrs add`, a prospect
qualified over the Telegram webhook, the SLA run by `qualibot jobs run-due --now` (remind at
+6 min, reassign at +11 min, nothing twice), Accept, the SDR talking to the prospect through
the bot, and signed CRM events at a webhook sink."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import DB, SDRS, WORKER
from bot.cli import main
from bot.config import Settings, WebhooksConfig
from storage import handoffs, messages
from storage.handoff_events import list_events
from storage.handoffs import Handoff
from tests.e2e.test_telegram_conversation import (
    PROSPECT,
    Clock,
    MakeClient,
    Rig,
    start_rig,
    telegram_settings,
)
from tests.fakes.crm_sink import CrmSink
from tests.fakes.telegram_api import FakeTelegram, Json, text_update

RINA, ANDI = 8801, 8802  # the SDRs' private chats with the bot
SINK_SECRET = "crm-s3cret"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def sink() -> AsyncIterator[CrmSink]:
    async with CrmSink(secret=SINK_SECRET) as sink:
        yield sink


def settings_for(tmp_path: Path, fake: FakeTelegram, sink: CrmSink) -> Settings:
    base = telegram_settings(tmp_path, fake, sdr_chat_ids=[])
    return base.model_copy(
        update={
            "webhooks": WebhooksConfig.model_validate(
                {"url": sink.url("/events"), "secret": SINK_SECRET}
            )
        }
    )


@pytest.fixture
async def rig(
    aiohttp_client: MakeClient, tmp_path: Path, fake: FakeTelegram, sink: CrmSink
) -> Rig:
    settings = settings_for(tmp_path, fake, sink)
    rig = await start_rig(aiohttp_client, settings, fake, Clock())
    for name, chat in (("Rina Wijaya", RINA), ("Andi Pratama", ANDI)):
        code = await cli(rig, "sdrs", "add", name, "--telegram-chat-id", str(chat))
        assert code == 0
    await rig.app[SDRS].refresh()
    return rig


async def cli(rig: Rig, *argv: str) -> int:
    url = str(rig.app[DB].engine.url)
    return await asyncio.to_thread(main, [*argv, "--database-url", url])


async def run_due(rig: Rig, capsys: pytest.CaptureFixture[str], minutes: int) -> list[Json]:
    """`qualibot jobs run-due --now <handoff + minutes>`, then the serving app's outbox."""
    at = rig.clock.now
    capsys.readouterr()
    code = await cli(rig, "jobs", "run-due", "--now", at.isoformat())
    assert code == 0
    out = capsys.readouterr().out
    await rig.app[WORKER].settle()
    del minutes
    return [json.loads(line) for line in out.splitlines() if line.strip()]


async def the_handoff(rig: Rig) -> Handoff:
    lead = await rig.lead(PROSPECT)
    assert lead is not None
    async with rig.app[DB].connection() as conn:
        found = await handoffs.get_handoff_for_lead(conn, lead.id)
    assert found is not None
    return found


def buttons(message: Json) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [b["callback_data"] for row in rows for b in row]


async def reply_to(rig: Rig, chat: int, text: str, replied: Json, *, name: str = "Rina") -> int:
    rig._message_ids[0] += 1
    update = text_update(chat, text, message_id=rig._message_ids[0], first_name=name)
    update["message"]["reply_to_message"] = replied
    return await rig.post(update)


async def test_an_unaccepted_handoff_is_reminded_then_reassigned_once(
    rig: Rig, capsys: pytest.CaptureFixture[str]
) -> None:
    start = rig.clock.now
    await rig.converse(PROSPECT)
    await rig.eventually(lambda: bool(rig.fake.sent_to(RINA)))
    handoff = await the_handoff(rig)
    notice = rig.fake.sent_to(RINA)[0]

    rig.clock.now = start + timedelta(minutes=6)
    reminded = await run_due(rig, capsys, 6)
    again = await run_due(rig, capsys, 6)
    rig.clock.now = start + timedelta(minutes=11)
    reassigned = await run_due(rig, capsys, 11)
    repeated = await run_due(rig, capsys, 11)

    assert notice["text"].startswith("🔥 New qualified lead: Budi (PT Maju Jaya)")
    assert buttons(notice) == [f"ho:accept:{handoff.id}", f"ho:reject:{handoff.id}"]
    assert [(a["job"], a["sdr"]) for a in reminded] == [("sla.remind", "Rina Wijaya")]
    assert again == []
    assert [(a["job"], a["to_sdr"]) for a in reassigned] == [("sla.reassign", "Andi Pratama")]
    assert repeated == []
    rina = rig.fake.texts_to(RINA)
    assert len(rina) == 3
    assert rina[1].startswith("⏰ Reminder: Budi (PT Maju Jaya) has waited 5 min")
    assert rina[2].startswith("↪️ Budi (PT Maju Jaya) was not accepted within 10 min")
    andi = rig.fake.sent_to(ANDI)
    assert len(andi) == 1
    assert andi[0]["text"] == rig.fake.messages[RINA, _id(rig, RINA, notice)]["text"]
    assert buttons(andi[0]) == buttons(notice)
    moved = await the_handoff(rig)
    assert (moved.assignment, moved.assigned_at) == (2, start + timedelta(minutes=11))
    async with rig.app[DB].connection() as conn:
        steps = [(e.kind, e.key) for e in await list_events(conn, handoff.id)]
    assert steps == [
        ("assigned", None),
        ("remind", "remind:1"),
        ("reassign", "reassign:1"),
        ("reassigned", None),
    ]


async def test_accepted_sdr_talks_to_the_prospect_through_the_bot(rig: Rig, sink: CrmSink) -> None:
    await rig.converse(PROSPECT)
    await rig.eventually(lambda: bool(rig.fake.sent_to(RINA)))
    handoff = await the_handoff(rig)
    notice = rig.fake.sent_to(RINA)[0]
    card = rig.fake.messages[RINA, _id(rig, RINA, notice)]
    await rig.press(RINA, f"ho:accept:{handoff.id}", first_name="Rina")
    bot_said = len(rig.fake.texts_to(PROSPECT))

    await reply_to(rig, RINA, "Halo Pak Budi, saya Rina. Kapan bisa demo?", card)
    await rig.say(PROSPECT, "Besok jam 10 bisa")

    texts = rig.fake.texts_to(PROSPECT)
    assert texts[bot_said:] == ["Halo Pak Budi, saya Rina. Kapan bisa demo?"]
    assert rig.fake.texts_to(RINA)[-1] == "💬 Budi (PT Maju Jaya): Besok jam 10 bisa"
    lead = await rig.lead(PROSPECT)
    assert lead is not None
    async with rig.app[DB].connection() as conn:
        transcript = await messages.transcript(conn, lead.id)
    assert [(m.direction, m.author, m.text) for m in transcript[-2:]] == [
        ("out", f"sdr:{handoff.sdr_id}", "Halo Pak Budi, saya Rina. Kapan bisa demo?"),
        ("in", None, "Besok jam 10 bisa"),
    ]
    await rig.eventually(lambda: {"handoff.created", "handoff.accepted"} <= sink.types())
    created = sink.of_type("handoff.created")[0]
    assert created["data"]["handoff_id"] == handoff.id
    assert all(sink.verified)


def _id(rig: Rig, chat: int, sent: Json) -> int:
    """The message id of a sent message (the first one shown in the chat with a keyboard)."""
    del sent
    for (c, message_id), message in sorted(rig.fake.messages.items()):
        if c == chat and message.get("reply_markup"):
            return message_id
    raise AssertionError("not shown")


async def test_kpis_count_each_sdrs_outcomes_and_times(
    rig: Rig, capsys: pytest.CaptureFixture[str]
) -> None:
    start = rig.clock.now
    await rig.converse(PROSPECT)
    await rig.eventually(lambda: bool(rig.fake.sent_to(RINA)))
    handoff = await the_handoff(rig)
    rig.clock.now = start + timedelta(minutes=11)
    await run_due(rig, capsys, 11)
    rig.clock.now = start + timedelta(minutes=13)
    await rig.press(ANDI, f"ho:accept:{handoff.id}", first_name="Andi")
    card = rig.keyboard_message(ANDI)
    rig.clock.now = start + timedelta(minutes=20)
    await reply_to(rig, ANDI, "Halo Pak Budi", card, name="Andi")
    capsys.readouterr()

    code = await cli(rig, "sdrs", "kpis", "--json")

    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert [(r["name"], r["assigned"], r["accepted"], r["reassigned_away"]) for r in rows] == [
        ("Rina Wijaya", 1, 0, 1),
        ("Andi Pratama", 1, 1, 0),
    ]
    andi = rows[1]
    assert (andi["time_to_accept_min"], andi["time_to_first_contact_min"]) == (2.0, 7.0)
    assert andi["accept_sla_met"] == 1.0


async def test_away_sdrs_get_no_new_handoffs_until_they_are_back(rig: Rig) -> None:
    await rig.say(RINA, "/away")

    await rig.converse(PROSPECT)
    await rig.eventually(lambda: bool(rig.fake.sent_to(ANDI)))
    await rig.say(RINA, "/back")

    assert rig.fake.texts_to(RINA) == [
        "You are away: no new handoffs until you send /back.",
        "Welcome back: new handoffs come to you again.",
    ]
    assert (await the_handoff(rig)).sdr_id == 2


async def test_handback_lets_the_bot_answer_the_prospect_again(rig: Rig) -> None:
    await rig.converse(PROSPECT)
    await rig.eventually(lambda: bool(rig.fake.sent_to(RINA)))
    handoff = await the_handoff(rig)
    await rig.press(RINA, f"ho:accept:{handoff.id}", first_name="Rina")
    await rig.say(RINA, "/reply Halo Pak Budi, saya Rina.")
    relayed_before = len(rig.fake.texts_to(RINA))

    await rig.say(RINA, "/handback")
    await rig.say(PROSPECT, "/help")

    assert rig.fake.texts_to(PROSPECT)[-2] == "Halo Pak Budi, saya Rina."
    assert rig.fake.texts_to(RINA)[relayed_before:] == [
        "The bot talks to Budi (PT Maju Jaya) again."
    ]
    assert not (await the_handoff(rig)).takeover


async def test_a_crm_event_the_sink_refused_arrives_later_once_with_the_same_id(
    rig: Rig, sink: CrmSink
) -> None:
    sink.fail_next = 1

    await rig.say(PROSPECT, "/start fb_ads")
    await rig.eventually(lambda: bool(sink.refused))
    rig.clock.advance(seconds=5)  # past the first backoff
    await rig.eventually(lambda: "lead.created" in sink.types())

    [refused] = sink.refused
    [created] = sink.of_type("lead.created")
    assert refused == created
    assert (created["data"]["channel"], created["data"]["source"]) == ("telegram", "fb_ads")
    assert all(sink.verified)


async def test_erase_by_the_prospect_or_the_cli_tells_the_crm(
    rig: Rig, sink: CrmSink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUALIBOT_WEBHOOKS__URL", sink.url("/events"))  # the CLI's environment
    monkeypatch.setenv("QUALIBOT_WEBHOOKS__SECRET", SINK_SECRET)
    await rig.say(PROSPECT, "/start fb_ads")
    await rig.say(PROSPECT, "hapus data saya")
    await rig.say(PROSPECT + 1, "/start")
    other = await rig.lead(PROSPECT + 1)
    assert other is not None

    code = await cli(rig, "leads", "erase", other.id)
    again = await cli(rig, "leads", "erase", other.id)
    rig.clock.now = datetime.now(UTC) + timedelta(seconds=1)  # the CLI dates its event so
    await rig.eventually(lambda: len(sink.of_type("lead.erased")) == 2)

    assert (code, again) == (0, 1)
    assert await rig.lead(PROSPECT) is None  # its chat id is gone with the rest
    whys = sorted(e["data"]["why"] for e in sink.of_type("lead.erased"))
    assert whys == ["an admin asked", "the prospect asked"]


async def test_the_button_on_a_relayed_message_hands_the_prospect_back_to_the_bot(
    rig: Rig,
) -> None:
    await rig.converse(PROSPECT)
    await rig.eventually(lambda: bool(rig.fake.sent_to(RINA)))
    handoff = await the_handoff(rig)
    await rig.press(RINA, f"ho:accept:{handoff.id}", first_name="Rina")
    await rig.say(RINA, "/reply Halo Pak Budi")
    await rig.say(PROSPECT, "siang bu")
    relayed = rig.keyboard_message(RINA)

    await rig.press(RINA, f"ho:handback:{handoff.id}", first_name="Rina")

    assert relayed["text"] == "💬 Budi (PT Maju Jaya): siang bu"
    assert buttons(relayed) == [f"ho:handback:{handoff.id}"]
    assert rig.fake.texts_to(RINA)[-1] == "The bot talks to Budi (PT Maju Jaya) again."
    assert not (await the_handoff(rig)).takeover


MQL_CONVERSATION = (
    "/start",
    "ya",
    "PT Maju Jaya",
    "saya owner, saya yang memutuskan",
    "cb:s51_200",
    "butuh banget, tim sales kewalahan",
    "belum ada budget",
    "tahun depan mungkin",
    "cb:email",
    "budi@majujaya.co.id",
)


async def test_an_mql_gets_the_nurture_sequence_until_they_reply(
    rig: Rig, capsys: pytest.CaptureFixture[str]
) -> None:
    start = rig.clock.now
    await rig.converse(PROSPECT, MQL_CONVERSATION)
    lead = await rig.lead(PROSPECT)
    assert lead is not None
    assert lead.stage == "mql"
    before = len(rig.fake.texts_to(PROSPECT))

    rig.clock.now = start + timedelta(days=1, minutes=1)
    day1 = await run_due(rig, capsys, 0)
    again = await run_due(rig, capsys, 0)
    rig.clock.now = start + timedelta(days=3, minutes=1)
    day3 = await run_due(rig, capsys, 0)
    await rig.say(PROSPECT, "timnya 5 orang, masih manual")
    rig.clock.now = start + timedelta(days=7, minutes=1)
    after_reply = [a for a in await run_due(rig, capsys, 0) if a["job"] == "nurture.send"]

    assert [a["step"] for a in day1] == ["nurture:0:day1"]
    assert again == []
    assert [a["step"] for a in day3] == ["nurture:1:day3"]
    assert after_reply == []
    sent = rig.fake.texts_to(PROSPECT)[before : before + 2]
    assert sent[0].startswith("Halo Budi! Ini panduan singkat")
    assert sent[1].startswith("Boleh satu pertanyaan")


async def test_a_prospect_silent_mid_qualification_gets_one_nudge(
    rig: Rig, capsys: pytest.CaptureFixture[str]
) -> None:
    start = rig.clock.now
    await rig.converse(PROSPECT, ("/start", "ya"))
    asked = rig.fake.texts_to(PROSPECT)[-1]

    rig.clock.now = start + timedelta(hours=5)
    nudged = await run_due(rig, capsys, 0)
    rig.clock.now = start + timedelta(hours=7)
    again = await run_due(rig, capsys, 0)

    assert [a["job"] for a in nudged] == ["nudge.send"]
    assert again == []
    assert (
        rig.fake.texts_to(PROSPECT)[-1]
        == f"Masih di sana? Tinggal beberapa pertanyaan lagi. {asked}"
    )


async def test_a_crm_that_is_down_for_hours_still_gets_the_event(rig: Rig, sink: CrmSink) -> None:
    sink.fail_next = 12  # more failures than a chat message would be retried

    await rig.say(PROSPECT, "/start fb_ads")
    for _ in range(13):
        rig.clock.advance(hours=1)
        await rig.app[WORKER].settle()

    assert len(sink.refused) == 12
    assert [e["type"] for e in sink.events] == ["lead.created"]
    assert sink.events[0]["id"] == sink.refused[0]["id"]
