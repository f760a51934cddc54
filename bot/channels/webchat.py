"""The web chat channel: a JSON API (`POST /api/chat`, `GET /api/chat/history`) and the
browser page that uses it."""

from datetime import UTC, datetime
from html import escape
from importlib import resources
from typing import Annotated, Any, Final

import orjson
from aiohttp import web
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bot.channels.webchat_history import CHANNEL, HISTORY_LIMIT, history_session, render_history
from bot.config import WebChatConfig
from bot.errors import BadPayload
from bot.pipeline import Outcome
from bot.services import Services
from bot.web import read_body
from dialogs import Channel, InboundMessage
from storage.leads import find_lead
from storage.messages import latest, replies_to

# A 4000-character message, even with every character escaped (\\uXXXX\\uXXXX for an emoji),
# is under 48 KiB of JSON.
MAX_BODY: Final = 64 * 1024
COMPANY_MARK: Final = "{{company_name}}"  # where chat.html shows the company's name
Id = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")]


class ChatRequest(BaseModel):
    """One message from a browser (or any front end)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    session: Id
    message_id: Id
    text: Annotated[str, Field(max_length=4000)] | None = None  # null: a button press alone
    choice: Annotated[str, Field(max_length=200)] | None = None
    language: Annotated[str, Field(max_length=16)] | None = None
    # where the prospect came from: the page's UTM parameters ("utm:google/cpc/launch")
    source: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None

    @model_validator(mode="after")
    def _says_something(self) -> "ChatRequest":
        # an empty message would be stored and answered with a re-ask of the question
        if not (self.text or "").strip() and not self.choice:
            raise PydanticCustomError("empty", "a message needs a text or a choice")
        return self


def parse_request(raw: bytes) -> ChatRequest:
    """Validate the body; every problem becomes a readable BadPayload."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise BadPayload(f"body is not valid JSON: {e}") from e
    try:
        return ChatRequest.model_validate(data)
    except ValidationError as e:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in e.errors()
        )
        raise BadPayload(problems) from e


def to_inbound(request: ChatRequest, now: datetime) -> InboundMessage:
    return InboundMessage(
        channel=Channel.WEB,
        channel_user_id=request.session,
        message_id=request.message_id,
        sent_at=now,
        text=request.text or "",  # control characters go in the pipeline (bot.inbound)
        choice_id=request.choice,
        language_hint=request.language,
        source=request.source or None,
    )


def render(outcome: Outcome) -> dict[str, Any]:
    """The documented answer: replies with choices, the stage, the score and the language the
    conversation is in (the page follows it)."""
    return {
        "replies": [
            {"text": r.text, "choices": [{"id": c.id, "label": c.label} for c in r.choices]}
            for r in outcome.replies
        ],
        "stage": outcome.stage.value,
        "score": outcome.score,
        "band": outcome.band.value,
        "duplicate": outcome.duplicate,
        "language": outcome.language,
    }


def chat_page(config: WebChatConfig) -> bytes:
    """The page with the company's name in it; the name is text, never markup."""
    page = resources.files("bot").joinpath("static/chat.html").read_text(encoding="utf-8")
    return page.replace(COMPANY_MARK, escape(config.company_name)).encode()


def webchat_routes(app: web.Application, services: Services, config: WebChatConfig) -> None:
    """Register the page at `/` and the API at `/api/chat` and `/api/chat/history`."""
    page = chat_page(config)

    async def index(_: web.Request) -> web.Response:
        return web.Response(body=page, content_type="text/html", charset="utf-8")

    async def chat(request: web.Request) -> web.Response:
        body = parse_request(await read_body(request, MAX_BODY))
        outcome = await services.pipeline.handle(to_inbound(body, datetime.now(UTC)))
        answer = render(outcome)
        if outcome.duplicate:
            # a browser retrying after a lost response still gets what we answered
            async with services.db.connection() as conn:
                stored = await replies_to(conn, outcome.lead_id, body.message_id)
            answer["replies"] = [{"text": m.text, "choices": m.choices or []} for m in stored]
        return web.Response(body=orjson.dumps(answer), content_type="application/json")

    async def history(request: web.Request) -> web.Response:
        session = history_session(request.query.get("session"))
        async with services.db.connection() as conn:
            lead = await find_lead(conn, CHANNEL, session)
            stored = [] if lead is None else await latest(conn, lead.id, HISTORY_LIMIT)
        answer = render_history(stored, None if lead is None else lead.language)
        return web.Response(
            body=orjson.dumps(answer),
            content_type="application/json",
            headers={"Cache-Control": "no-store"},  # a prospect's words stay out of caches
        )

    app.router.add_get("/", index)
    app.router.add_post("/api/chat", chat)
    app.router.add_get("/api/chat/history", history)
