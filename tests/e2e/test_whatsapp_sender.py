"""WhatsAppSender over real HTTP against FakeGraph: shapes that arrive, errors that come back."""

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import orjson
import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

from bot.channels.whatsapp import parse_envelope, to_events
from bot.channels.whatsapp_sender import WhatsAppSender
from bot.errors import ChannelError
from dialogs.messages import Choice, OutboundMessage
from tests.fakes.graph_api import DEFAULT_TOKEN, FakeGraph

PAYLOADS = Path(__file__).parents[1] / "payloads" / "whatsapp"
TO = "+6281234567890"
OTHER = "+6289876543210"
BSUID = "US.13491208655302741918"
NOW = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with FakeGraph() as fake:
        yield fake


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sender(graph: FakeGraph, session: aiohttp.ClientSession, clock: Clock) -> WhatsAppSender:
    return WhatsAppSender(
        session, graph.base_url, graph.phone_number_id, DEFAULT_TOKEN, monotonic=clock
    )


def choices(*labels: str) -> tuple[Choice, ...]:
    return tuple(Choice(id=f"opt_{i}", label=label) for i, label in enumerate(labels))


async def test_text_arrives_with_the_documented_shape(
    sender: WhatsAppSender, graph: FakeGraph
) -> None:
    wamid = await sender.send(TO, OutboundMessage("Halo Budi!"))

    [body] = graph.sent_to(TO)
    assert wamid.startswith("wamid.")
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": TO,
        "type": "text",
        "text": {"body": "Halo Budi!", "preview_url": False},
    }


async def test_buttons_arrive_as_reply_buttons(sender: WhatsAppSender, graph: FakeGraph) -> None:
    await sender.send(TO, OutboundMessage("Lanjut?", choices("Ya", "Tidak")))

    [body] = graph.sent_to(TO)
    buttons = body["interactive"]["action"]["buttons"]
    assert [b["reply"] for b in buttons] == [
        {"id": "opt_0", "title": "Ya"},
        {"id": "opt_1", "title": "Tidak"},
    ]


async def test_list_arrives_with_rows(sender: WhatsAppSender, graph: FakeGraph) -> None:
    labels = ("< 50 juta", "50–200 juta", "> 200 juta", "Belum ada anggaran sama sekali")

    await sender.send(TO, OutboundMessage("Anggaran?", choices(*labels)))

    [body] = graph.sent_to(TO)
    rows = body["interactive"]["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == ["opt_0", "opt_1", "opt_2", "opt_3"]
    assert rows[3]["description"] == "Belum ada anggaran sama sekali"


async def test_long_reply_arrives_as_several_bubbles_in_order(
    sender: WhatsAppSender, graph: FakeGraph
) -> None:
    wamid = await sender.send(TO, OutboundMessage("kata " * 2000))

    bodies = graph.sent_to(TO)
    assert len(bodies) == 3
    assert wamid == "wamid.FAKE0000000003="


async def test_bsuid_recipient_is_sent_in_the_recipient_field(
    sender: WhatsAppSender, graph: FakeGraph
) -> None:
    await sender.send(BSUID, OutboundMessage("Halo"))

    [body] = graph.sent_to(BSUID)
    assert body["recipient"] == BSUID


async def test_bsuid_with_a_known_phone_is_sent_to_the_phone(
    sender: WhatsAppSender, graph: FakeGraph
) -> None:
    raw = (PAYLOADS / "text_message_bsuid_2026.json").read_bytes()
    sender.learn(to_events(parse_envelope(raw)))

    await sender.send(BSUID, OutboundMessage("Halo"))

    [body] = graph.sent_to("972987654321")
    assert "recipient" not in body


async def test_template_arrives_with_parameters_and_payloads(
    sender: WhatsAppSender, graph: FakeGraph
) -> None:
    await sender.send_template(
        TO, "qualibot_handoff", "id", ["Budi", "PT Maju", "82", "hot"], button_payloads=["acc:7"]
    )

    [body] = graph.sent_to(TO)
    assert body["template"]["name"] == "qualibot_handoff"
    assert body["template"]["language"] == {"policy": "deterministic", "code": "id"}
    assert [p["text"] for p in body["template"]["components"][0]["parameters"]] == [
        "Budi",
        "PT Maju",
        "82",
        "hot",
    ]


async def test_unknown_template_is_refused_permanently(sender: WhatsAppSender) -> None:
    with pytest.raises(ChannelError) as caught:
        await sender.send_template(TO, "not_approved", "id")

    assert (caught.value.code, caught.value.permanent) == ("132001", True)


async def test_mark_read_is_accepted(sender: WhatsAppSender, graph: FakeGraph) -> None:
    await sender.mark_read("wamid.IN1=", typing=True)

    assert graph.read == ["wamid.IN1="]


async def test_throughput_limit_is_retryable_and_pauses_every_send(
    sender: WhatsAppSender, graph: FakeGraph, clock: Clock
) -> None:
    graph.fail("130429")

    with pytest.raises(ChannelError) as first:
        await sender.send(TO, OutboundMessage("a"))
    clock.now += 3
    with pytest.raises(ChannelError) as paused:
        await sender.send(OTHER, OutboundMessage("b"))
    clock.now += 8
    await sender.send(OTHER, OutboundMessage("c"))

    assert (first.value.code, first.value.permanent, first.value.retry_after) == (
        "130429",
        False,
        10.0,
    )
    assert paused.value.retry_after == pytest.approx(7.0)
    assert [b["text"]["body"] for b in graph.requests] == ["c"]


async def test_pair_rate_limit_backs_off_per_recipient_4_to_the_x(
    sender: WhatsAppSender, graph: FakeGraph
) -> None:
    graph.fail("131056", times=3)
    waits = []

    for _ in range(3):
        with pytest.raises(ChannelError) as caught:
            await sender.send(TO, OutboundMessage("a"))
        waits.append(caught.value.retry_after)
    await sender.send(OTHER, OutboundMessage("other users are unaffected"))

    assert waits == [1.0, 4.0, 16.0]
    assert len(graph.sent_to(OTHER)) == 1


async def test_pair_backoff_resets_after_a_success(
    sender: WhatsAppSender, graph: FakeGraph
) -> None:
    graph.fail("131056")
    with pytest.raises(ChannelError):
        await sender.send(TO, OutboundMessage("a"))
    await sender.send(TO, OutboundMessage("b"))
    graph.fail("131056")

    with pytest.raises(ChannelError) as caught:
        await sender.send(TO, OutboundMessage("c"))

    assert caught.value.retry_after == 1.0


async def test_outside_window_error_is_permanent_with_its_code(
    sender: WhatsAppSender, graph: FakeGraph
) -> None:
    graph.fail("131047", kind="text")

    with pytest.raises(ChannelError) as caught:
        await sender.send(TO, OutboundMessage("a"))

    assert (caught.value.code, caught.value.permanent) == ("131047", True)


async def test_bad_token_is_permanent_and_logged_loudly_once(
    graph: FakeGraph, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    sender = WhatsAppSender(session, graph.base_url, graph.phone_number_id, "expired")

    errors = []
    for _ in range(3):
        with pytest.raises(ChannelError) as caught:
            await sender.send(TO, OutboundMessage("a"))
        errors.append(caught.value)

    assert {(e.code, e.permanent) for e in errors} == {("190", True)}
    critical = [r for r in caplog.records if r.levelno == logging.CRITICAL]
    assert len(critical) == 1
    assert "expired" not in caplog.text


async def test_server_error_is_retryable(sender: WhatsAppSender, graph: FakeGraph) -> None:
    graph.fail("500")

    with pytest.raises(ChannelError) as caught:
        await sender.send(TO, OutboundMessage("a"))

    assert (caught.value.permanent, caught.value.retry_after) == (False, None)


async def test_http_429_is_retryable_with_a_wait(sender: WhatsAppSender, graph: FakeGraph) -> None:
    graph.fail("429")

    with pytest.raises(ChannelError) as caught:
        await sender.send(TO, OutboundMessage("a"))

    assert caught.value.permanent is False
    assert caught.value.retry_after


async def test_unreachable_graph_is_retryable(session: aiohttp.ClientSession) -> None:
    fake = FakeGraph()
    base_url = await fake.start()
    await fake.close()
    sender = WhatsAppSender(session, base_url, fake.phone_number_id, DEFAULT_TOKEN)

    with pytest.raises(ChannelError) as caught:
        await sender.send(TO, OutboundMessage("a"))

    assert (caught.value.code, caught.value.permanent) == ("network", False)


async def test_timeout_is_retryable(
    aiohttp_server: AiohttpServer, session: aiohttp.ClientSession
) -> None:
    async def stall(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response()

    app = web.Application()
    app.router.add_post("/v23.0/1/messages", stall)
    server = await aiohttp_server(app)
    sender = WhatsAppSender(
        session,
        str(server.make_url("/v23.0")),
        "1",
        DEFAULT_TOKEN,
        timeout=aiohttp.ClientTimeout(total=0.2),
    )

    with pytest.raises(ChannelError) as caught:
        await sender.send(TO, OutboundMessage("a"))

    assert (caught.value.code, caught.value.permanent) == ("timeout", False)


async def test_inside_window_sends_the_message(sender: WhatsAppSender, graph: FakeGraph) -> None:
    result = await sender.send_or_template(
        TO,
        OutboundMessage("Halo lagi"),
        last_inbound_at=NOW - timedelta(hours=2),
        now=NOW,
        template_name="qualibot_followup",
        template_language="id",
    )

    assert result.kind == "message"
    assert graph.sent_to(TO)[0]["type"] == "text"


async def test_outside_window_sends_the_template(sender: WhatsAppSender, graph: FakeGraph) -> None:
    result = await sender.send_or_template(
        TO,
        OutboundMessage("Halo lagi"),
        last_inbound_at=NOW - timedelta(hours=25),
        now=NOW,
        template_name="qualibot_followup",
        template_language="id",
        template_params=["Budi"],
    )

    assert result.kind == "template"
    [body] = graph.sent_to(TO)
    assert body["type"] == "template"


async def test_window_closed_early_by_meta_falls_back_to_the_template(
    sender: WhatsAppSender, graph: FakeGraph
) -> None:
    graph.fail("131047", kind="text")

    result = await sender.send_or_template(
        TO,
        OutboundMessage("Halo lagi"),
        last_inbound_at=NOW - timedelta(hours=23),
        now=NOW,
        template_name="qualibot_followup",
        template_language="id",
    )

    assert result.kind == "template"
    assert [b["type"] for b in graph.sent_to(TO)] == ["template"]


@pytest.mark.parametrize(
    "interactive",
    [
        {
            "type": "button",
            "body": {"text": "?"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": f"b{i}", "title": f"t{i}"}} for i in range(4)
                ]
            },
        },
        {
            "type": "button",
            "body": {"text": "?"},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "b", "title": "x" * 21}}]},
        },
        {
            "type": "list",
            "body": {"text": "?"},
            "action": {
                "button": "Pilih",
                "sections": [
                    {"title": "s", "rows": [{"id": f"r{i}", "title": "t"} for i in range(11)]}
                ],
            },
        },
        {
            "type": "list",
            "body": {"text": "?"},
            "action": {
                "button": "Pilih",
                "sections": [
                    {"title": "s", "rows": [{"id": "r", "title": "t", "description": "d" * 73}]}
                ],
            },
        },
    ],
    ids=["4-buttons", "21-char-title", "11-rows", "73-char-description"],
)
async def test_fake_rejects_over_limit_interactive_bodies(
    graph: FakeGraph, session: aiohttp.ClientSession, interactive: dict[str, object]
) -> None:
    body = {
        "messaging_product": "whatsapp",
        "to": TO,
        "type": "interactive",
        "interactive": interactive,
    }

    async with session.post(
        f"{graph.base_url}/{graph.phone_number_id}/messages",
        data=orjson.dumps(body),
        headers={"Authorization": f"Bearer {DEFAULT_TOKEN}", "Content-Type": "application/json"},
    ) as response:
        answer = await response.json()

    assert response.status == 400
    assert answer["error"]["code"] == 131009
    assert answer["error"]["fbtrace_id"]
    assert graph.requests == []
