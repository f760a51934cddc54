"""WhatsApp end to end: the real app, FakeGraph for Meta, webhooks signed and posted like Meta.

Whole conversations to SQL, the SDR's template and decisions, and BSUID-only users. The
harness `Meta` here is shared with test_whatsapp_delivery.py.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.app import BACKGROUND, DB, WORKER, build_app
from bot.config import Settings, WhatsAppConfig
from storage import handoffs as handoff_store
from storage import leads as lead_store
from storage.handoffs import Handoff
from storage.rows import LeadRow
from tests.fakes.graph_api import (
    DEFAULT_TOKEN,
    FakeGraph,
    Json,
    button_reply_message,
    list_reply_message,
    new_wamid,
    signed_post,
    template_button_message,
    text_message,
    username_only_webhook,
    value,
    webhook,
)

AppClient = TestClient[web.Request, web.Application]
SECRET = "test_app_secret"
VERIFY_TOKEN = "verify-me-please"
SDR = "6281100000001"
BUDI = "6281234567890"
BSUID = "ID.13491208655302741918"
# Wednesday 13 May 2026, 10:00 in Jakarta.
START = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)


class Clock:
    """The app's clock; tests move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class Meta:
    """Posts webhooks the way Meta does and shows what reached prospects and SDRs."""

    client: AppClient
    graph: FakeGraph
    clock: Clock

    @property
    def app(self) -> web.Application:
        return self.client.app

    def now_ts(self) -> int:
        return int(self.clock.now.timestamp())

    async def post(self, body: Json | bytes, *, signature: str | None = None) -> int:
        """POST one signed webhook, then wait for what the app does after answering."""
        status, _ = await signed_post(self.client, body, SECRET, signature=signature)
        await self.app[WORKER].settle()  # replies and notes leave from the outbox
        await self.app[BACKGROUND].drain()
        return status

    async def say(self, sender: str, message: Json, *, name: str = "Budi Santoso") -> int:
        return await self.post(webhook(value(messages=[message], names={sender: name})))

    async def text(self, sender: str, body: str, *, name: str = "Budi Santoso") -> int:
        return await self.say(
            sender, text_message(sender, body, timestamp=self.now_ts()), name=name
        )

    async def press(self, sender: str, reply_id: str, title: str) -> int:
        message = button_reply_message(sender, reply_id, title, timestamp=self.now_ts())
        return await self.say(sender, message)

    async def pick(self, sender: str, row_id: str, title: str) -> int:
        return await self.say(
            sender, list_reply_message(sender, row_id, title, timestamp=self.now_ts())
        )

    async def lead(self, user: str) -> LeadRow:
        async with self.app[DB].connection() as conn:
            lead = await lead_store.find_lead(conn, "whatsapp", user)
        assert lead is not None
        return lead

    async def handoff(self, user: str) -> Handoff:
        lead = await self.lead(user)
        async with self.app[DB].connection() as conn:
            handoff = await handoff_store.get_handoff_for_lead(conn, lead.id)
        assert handoff is not None
        return handoff

    async def run_outbox_until(self, done: Callable[[], bool], *, rounds: int = 100) -> None:
        """Drive the outbox worker (the background one runs too) until `done()` holds."""
        for _ in range(rounds):
            await self.app[WORKER].run_once()
            await self.app[BACKGROUND].drain()
            if done():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("the outbox did not deliver in time")

    def templates_to(self, to: str) -> list[Json]:
        return [b for b in self.graph.sent_to(to) if b["type"] == "template"]


async def meta_harness(
    aiohttp_client: Callable[[web.Application], Awaitable[AppClient]],
    graph: FakeGraph,
    tmp_path: Path,
    **config: Any,
) -> Meta:
    clock = Clock(START)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/qualibot.db",
        public_url="https://bot.example.com",
        whatsapp=WhatsAppConfig(
            graph_url=graph.base_url,
            phone_number_id=graph.phone_number_id,
            access_token=DEFAULT_TOKEN,
            app_secret=SECRET,
            verify_token=VERIFY_TOKEN,
            sdr_numbers=[SDR],
            **config,
        ),
    )
    client = await aiohttp_client(build_app(settings, clock=clock))
    return Meta(client, graph, clock)


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        yield fake


@pytest.fixture
async def meta(
    graph: FakeGraph,
    aiohttp_client: Callable[[web.Application], Awaitable[AppClient]],
    tmp_path: Path,
) -> Meta:
    return await meta_harness(aiohttp_client, graph, tmp_path)


def body_text(body: Json) -> str:
    """What a person reads in a text or interactive message."""
    text: str = (
        body["text"]["body"] if body["type"] == "text" else body["interactive"]["body"]["text"]
    )
    return text


def last_body(meta: Meta, to: str) -> Json:
    return meta.graph.sent_to(to)[-1]


async def converse_to_sql(meta: Meta, who: str = BUDI) -> None:
    """The Indonesian script: reply buttons, a list (5 sizes), free text; SQL at the end
    (on WhatsApp the number is known: nothing more is asked)."""
    await meta.text(who, "Halo kak, mau tanya soal chatbot")
    await meta.press(who, "yes", "Ya")
    await meta.text(who, "PT Maju Jaya")
    await meta.text(who, "saya owner, saya yang memutuskan")
    await meta.pick(who, "s51_200", "51-200")
    await meta.text(who, "butuh banget, tim sales kewalahan follow up leads")
    await meta.text(who, "sekitar 100jt")
    await meta.text(who, "bulan depan")


async def test_indonesian_conversation_reaches_sql_and_the_sdr_gets_one_template(
    meta: Meta,
) -> None:
    await converse_to_sql(meta)
    await meta.run_outbox_until(lambda: bool(meta.templates_to(SDR)))
    await meta.run_outbox_until(lambda: True, rounds=3)

    lead = await meta.lead(BUDI)
    bodies = meta.graph.sent_to(BUDI)
    kinds = [b["interactive"]["type"] for b in bodies if b["type"] == "interactive"]
    assert (lead.stage, lead.name, lead.company, lead.phone) == (
        "sql",
        "Budi Santoso",
        "PT Maju Jaya",
        "+6281234567890",
    )
    assert {"button", "list"} <= set(kinds)
    closing = bodies[-1]["text"]["body"]
    assert closing.startswith("Terima kasih, Budi Santoso! Tim sales kami akan menghubungi Anda")
    [template] = meta.templates_to(SDR)
    assert template["template"]["name"] == "qualibot_handoff"
    assert template["template"]["language"]["code"] == "id"
    handoff = await meta.handoff(BUDI)
    body, accept, reject = template["template"]["components"]
    assert [p["text"] for p in body["parameters"]] == [
        "Budi Santoso",
        "PT Maju Jaya",
        str(handoff.summary["score"]),
        handoff.summary["band"].upper(),
    ]
    assert accept["parameters"] == [{"type": "payload", "payload": f"ho:accept:{handoff.id}"}]
    assert reject["parameters"] == [{"type": "payload", "payload": f"ho:reject:{handoff.id}"}]


async def test_company_size_list_has_all_five_options(meta: Meta) -> None:
    await meta.text(BUDI, "Halo")
    await meta.press(BUDI, "yes", "Ya")
    await meta.text(BUDI, "PT Maju Jaya")
    await meta.text(BUDI, "saya owner")

    interactive = last_body(meta, BUDI)["interactive"]
    assert interactive["type"] == "list"
    rows = interactive["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == ["s1_10", "s11_50", "s51_200", "s201_1000", "s1000_plus"]


async def test_every_processed_message_is_marked_read(meta: Meta) -> None:
    wamid = new_wamid()

    await meta.say(BUDI, text_message(BUDI, "Halo", wamid=wamid, timestamp=meta.now_ts()))

    assert meta.graph.read == [wamid]


async def test_sdr_accepts_from_the_template_and_gets_the_summary_as_text(meta: Meta) -> None:
    await converse_to_sql(meta)
    await meta.run_outbox_until(lambda: bool(meta.templates_to(SDR)))
    handoff = await meta.handoff(BUDI)
    sent_to_budi = len(meta.graph.sent_to(BUDI))

    press = template_button_message(
        SDR, f"ho:accept:{handoff.id}", "Accept", timestamp=meta.now_ts()
    )
    await meta.say(SDR, press, name="Sari (Sales)")

    decided = await meta.handoff(BUDI)
    assert (decided.status, decided.decided_by) == ("accepted", "Sari (Sales)")
    after_template = meta.graph.sent_to(SDR)[1:]
    assert "New qualified lead: Budi Santoso (PT Maju Jaya)" in body_text(after_template[0])
    buttons = after_template[-1]["interactive"]["action"]["buttons"]
    assert [b["reply"]["id"] for b in buttons] == [f"ho:won:{handoff.id}", f"ho:lost:{handoff.id}"]
    assert len(meta.graph.sent_to(BUDI)) == sent_to_budi  # nothing reached the prospect
    assert (await meta.lead(BUDI)).stage == "accepted"


async def test_sdr_rejects_and_the_next_text_is_the_reason(meta: Meta) -> None:
    await converse_to_sql(meta)
    await meta.run_outbox_until(lambda: bool(meta.templates_to(SDR)))
    handoff = await meta.handoff(BUDI)
    press = template_button_message(
        SDR, f"ho:reject:{handoff.id}", "Reject", timestamp=meta.now_ts()
    )

    await meta.say(SDR, press, name="Sari (Sales)")
    asked = last_body(meta, SDR)
    await meta.say(SDR, text_message(SDR, "budget terlalu kecil", timestamp=meta.now_ts()))

    decided = await meta.handoff(BUDI)
    assert (decided.status, decided.reject_reason) == ("rejected", "budget terlalu kecil")
    assert asked["text"]["body"] == "Why was it rejected? Reply with the reason."
    assert last_body(meta, SDR)["text"]["body"] == "Thanks, the reason is recorded."


async def test_sdr_text_never_reaches_the_prospect_pipeline(meta: Meta) -> None:
    await meta.text(SDR, "Halo, ini Sari dari sales", name="Sari (Sales)")

    async with meta.app[DB].connection() as conn:
        lead = await lead_store.find_lead(conn, "whatsapp", SDR)
    assert lead is None
    assert "handoffs" in last_body(meta, SDR)["text"]["body"]


async def test_username_only_user_is_keyed_on_the_bsuid_and_answered_by_recipient(
    meta: Meta,
) -> None:
    message = text_message("", "Halo, mau tanya", timestamp=meta.now_ts())

    status = await meta.post(username_only_webhook(BSUID, message, name="Sheena"))

    lead = await meta.lead(BSUID)
    [greeting] = meta.graph.sent_to(BSUID)
    assert status == 200
    assert (lead.channel_user_id, lead.name, lead.phone) == (BSUID, None, None)
    assert (greeting["recipient"], greeting.get("to")) == (BSUID, None)
    # the profile name is kept once they agree to chat (nothing is kept before)
    await meta.post(
        username_only_webhook(
            BSUID, text_message("", "boleh", timestamp=meta.now_ts()), name="Sheena"
        )
    )
    assert (await meta.lead(BSUID)).name == "Sheena"


async def test_details_after_the_handoff_reach_the_sdr_as_one_follow_up(meta: Meta) -> None:
    await converse_to_sql(meta)
    await meta.run_outbox_until(lambda: bool(meta.templates_to(SDR)))

    await meta.text(BUDI, "oh iya, email saya budi@majujaya.co.id")
    await meta.run_outbox_until(lambda: len(meta.graph.sent_to(SDR)) == 2)
    await meta.text(BUDI, "kami juga punya 3 cabang")
    for _ in range(3):  # later passes of the worker: still no second follow-up
        await meta.run_outbox_until(lambda: True)

    template, follow_up = meta.graph.sent_to(SDR)  # a template cannot be edited: one more
    assert template["type"] == "template"
    assert "email: budi@majujaya.co.id" in body_text(follow_up)
    assert (await meta.handoff(BUDI)).delivery is not None


async def test_sdr_replying_to_the_template_talks_to_the_prospect_through_the_bot(
    meta: Meta,
) -> None:
    await converse_to_sql(meta)
    await meta.run_outbox_until(lambda: bool(meta.templates_to(SDR)))
    handoff = await meta.handoff(BUDI)
    notice_id = (handoff.delivery or {})[f"whatsapp:{SDR}"]["message_id"]
    press = template_button_message(
        SDR, f"ho:accept:{handoff.id}", "Accept", timestamp=meta.now_ts()
    )
    await meta.say(SDR, press, name="Sari (Sales)")
    reply = text_message(SDR, "Halo Pak Budi, saya Sari dari sales.", timestamp=meta.now_ts())
    reply["context"] = {"from": SDR, "id": notice_id}

    await meta.say(SDR, reply, name="Sari (Sales)")
    await meta.text(BUDI, "Siang Bu Sari, boleh demo besok?")

    assert body_text(meta.graph.sent_to(BUDI)[-1]) == "Halo Pak Budi, saya Sari dari sales."
    relayed = meta.graph.sent_to(SDR)[-1]
    assert body_text(relayed) == "💬 Budi Santoso (PT Maju Jaya): Siang Bu Sari, boleh demo besok?"
