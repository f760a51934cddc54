"""FakeGraph: a strict fake of the WhatsApp Cloud API send endpoint, plus signed-webhook helpers.

It rejects what the real API rejects (bad token, too many buttons, over-long titles, unknown
templates) with Meta's error shape, fails on demand per message kind, and records every body
so tests assert on what the prospect would see. `check_send_body` is the limit checker; the
renderer's property test uses the same function. It is written from CHANNELS.md B8, not from
our renderer, so the two do not share mistakes. Lengths count UTF-16 code units, the
strictest reading of "characters" that still counts an emoji as a character.
"""

import hashlib
import hmac
import itertools
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import aiohttp
import orjson
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.fakes.server import LocalServer

AppClient = TestClient[web.Request, web.Application]
Json = dict[str, Any]

DEFAULT_TOKEN: Final = "TEST_ACCESS_TOKEN"
DEFAULT_PHONE_NUMBER_ID: Final = "106540352242922"
DEFAULT_DISPLAY_NUMBER: Final = "15550783881"
DEFAULT_VERSION: Final = "v25.0"
DEFAULT_TEMPLATES: Final = frozenset({"qualibot_followup", "qualibot_handoff"})

Kind = Literal["text", "interactive", "template", "read", "any"]
Failure = Literal["130429", "131056", "131047", "131026", "80007", "190", "429", "500"]

_FAILURES: Final[dict[str, tuple[int, int, str, str]]] = {
    # failure -> (HTTP status, Graph code, message, details)
    "130429": (
        400,
        130429,
        "(#130429) Rate limit hit",
        "Cloud API message throughput has been reached.",
    ),
    "131056": (
        400,
        131056,
        "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        "Message failed to send because there were too many messages sent from this phone "
        "number to the same phone number in a short period of time.",
    ),
    "131047": (
        400,
        131047,
        "(#131047) Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number.",
    ),
    "131026": (400, 131026, "(#131026) Message undeliverable", "Message Undeliverable."),
    "80007": (
        400,
        80007,
        "(#80007) Rate limit issues",
        "The WhatsApp Business Account has reached its rate limit.",
    ),
    "190": (401, 190, "Invalid OAuth access token - Cannot parse access token", ""),
    "429": (429, 4, "(#4) Application request limit reached", ""),
    "500": (500, 131000, "(#131000) Something went wrong", "Internal error."),
}


def wa_len(text: str) -> int:
    """UTF-16 code units, the unit this fake counts limits in."""
    return len(text.encode("utf-16-le")) // 2


def graph_error(code: int, message: str, details: str = "", *, subcode: int | None = None) -> Json:
    """Meta's Graph error envelope."""
    error: Json = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    error["fbtrace_id"] = "AFakeGraphTrace"
    return {"error": error}


class Rejected(Exception):
    """A body the real API would refuse: Graph code and the reason Meta would give."""

    def __init__(self, code: int, details: str) -> None:
        super().__init__(details)
        self.code, self.details = code, details


def _str(obj: Any, where: str, limit: int, *, minimum: int = 1) -> str:
    if not isinstance(obj, str):
        raise Rejected(100, f"{where} must be a string")
    if wa_len(obj.strip()) < minimum:
        raise Rejected(131009, f"{where} is required")
    if wa_len(obj) > limit:
        raise Rejected(131009, f"{where} is {wa_len(obj)} characters; at most {limit}")
    return obj


def _obj(obj: Any, where: str) -> Json:
    if not isinstance(obj, dict):
        raise Rejected(100, f"{where} must be an object")
    return obj


def _list(obj: Any, where: str) -> list[Any]:
    if not isinstance(obj, list):
        raise Rejected(100, f"{where} must be an array")
    return obj


def _check_buttons(interactive: Json) -> None:
    _str(_obj(interactive.get("body"), "interactive.body").get("text"), "body.text", 1024)
    buttons = _list(_obj(interactive.get("action"), "action").get("buttons"), "action.buttons")
    if not 1 <= len(buttons) <= 3:
        raise Rejected(131009, f"action.buttons has {len(buttons)} buttons; 1 to 3 allowed")
    ids: set[str] = set()
    titles: set[str] = set()
    for i, button in enumerate(buttons):
        if _obj(button, f"buttons[{i}]").get("type") != "reply":
            raise Rejected(100, f"buttons[{i}].type must be reply")
        reply = _obj(button.get("reply"), f"buttons[{i}].reply")
        ids.add(_str(reply.get("id"), f"buttons[{i}].reply.id", 256))
        titles.add(_str(reply.get("title"), f"buttons[{i}].reply.title", 20))
    if len(ids) != len(buttons) or len(titles) != len(buttons):
        raise Rejected(131009, "button ids and titles must be unique")


def _check_list(interactive: Json) -> None:
    _str(_obj(interactive.get("body"), "interactive.body").get("text"), "body.text", 4096)
    action = _obj(interactive.get("action"), "action")
    _str(action.get("button"), "action.button", 20)
    sections = _list(action.get("sections"), "action.sections")
    if not 1 <= len(sections) <= 10:
        raise Rejected(131009, f"{len(sections)} sections; 1 to 10 allowed")
    row_ids: list[str] = []
    for s, section in enumerate(sections):
        section = _obj(section, f"sections[{s}]")
        if "title" in section or len(sections) > 1:
            _str(section.get("title"), f"sections[{s}].title", 24)
        for r, row in enumerate(_list(section.get("rows"), f"sections[{s}].rows")):
            row = _obj(row, f"sections[{s}].rows[{r}]")
            row_ids.append(_str(row.get("id"), f"rows[{r}].id", 200))
            _str(row.get("title"), f"rows[{r}].title", 24)
            if "description" in row:
                _str(row.get("description"), f"rows[{r}].description", 72, minimum=0)
    if not 1 <= len(row_ids) <= 10:
        raise Rejected(131009, f"{len(row_ids)} rows in all sections; 1 to 10 allowed")
    if len(set(row_ids)) != len(row_ids):
        raise Rejected(131009, "row ids must be unique")


def _check_template(template: Json, allowed: frozenset[str]) -> None:
    name = template.get("name")
    if name not in allowed:
        raise Rejected(132001, f"template name {name!r} does not exist in the translation")
    _str(_obj(template.get("language"), "template.language").get("code"), "language.code", 15)
    for component in _list(template.get("components", []), "template.components"):
        for parameter in _list(_obj(component, "component").get("parameters", []), "parameters"):
            text = _obj(parameter, "parameter").get("text")
            if text is not None and ("\n" in text or "\t" in text or "     " in text):
                raise Rejected(132018, "param text cannot have new-line/tab or >4 spaces")


def check_send_body(body: Json, *, templates: frozenset[str] = DEFAULT_TEMPLATES) -> None:
    """Raise Rejected unless the Cloud API would accept this message body."""
    if body.get("messaging_product") != "whatsapp":
        raise Rejected(100, "messaging_product must be whatsapp")
    recipient = body.get("to") or body.get("recipient")
    if not isinstance(recipient, str) or not recipient:
        raise Rejected(100, "to or recipient is required")
    kind = body.get("type")
    if kind == "text":
        text = _obj(body.get("text"), "text")
        _str(text.get("body"), "text.body", 4096)
        if not isinstance(text.get("preview_url", False), bool):
            raise Rejected(100, "text.preview_url must be a boolean")
    elif kind == "interactive":
        interactive = _obj(body.get("interactive"), "interactive")
        if interactive.get("type") == "button":
            _check_buttons(interactive)
        elif interactive.get("type") == "list":
            _check_list(interactive)
        else:
            raise Rejected(100, f"interactive.type {interactive.get('type')!r} not faked")
    elif kind == "template":
        _check_template(_obj(body.get("template"), "template"), templates)
    else:
        raise Rejected(100, f"type {kind!r} is not supported by the fake")


@dataclass
class FakeGraph(LocalServer):
    """The send endpoint of one phone number; bind with `start()`, stop with `close()`."""

    access_token: str = DEFAULT_TOKEN
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID
    version: str = DEFAULT_VERSION
    templates: frozenset[str] = DEFAULT_TEMPLATES
    requests: list[Json] = field(default_factory=list)  # accepted message bodies, in order
    rejected: list[tuple[Json, Json]] = field(default_factory=list)  # (body, error answer)
    read: list[str] = field(default_factory=list)  # wamids marked as read
    failures: dict[str, list[Failure]] = field(default_factory=dict)  # kind -> queue
    _next_id: int = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{version}/{phone_number_id}/messages", self._messages)
        return app

    @property
    def base_url(self) -> str:
        """Base URL including the version (QUALIBOT_WHATSAPP__GRAPH_URL)."""
        return self.url(f"/{self.version}")

    @property
    def root_url(self) -> str:
        return self.base_url

    def fail(self, failure: Failure, *, kind: Kind = "any", times: int = 1) -> None:
        """Answer the next `times` requests of `kind` with this failure instead."""
        self.failures.setdefault(kind, []).extend([failure] * times)

    def sent_to(self, to: str) -> list[Json]:
        """Accepted bodies addressed to this phone (with or without +) or BSUID."""
        want = to.lstrip("+")
        return [
            b for b in self.requests if str(b.get("to") or b.get("recipient")).lstrip("+") == want
        ]

    def _next_failure(self, kind: str) -> Failure | None:
        for key in (kind, "any"):
            queue = self.failures.get(key)
            if queue:
                return queue.pop(0)
        return None

    async def _messages(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.access_token}":
            return _answer(
                401, graph_error(190, "Invalid OAuth access token - Cannot parse access token")
            )
        if request.match_info["phone_number_id"] != self.phone_number_id:
            number = request.match_info["phone_number_id"]
            return _answer(
                400,
                graph_error(
                    100,
                    f"Unsupported post request. Object with ID '{number}' does not exist",
                    subcode=33,
                ),
            )
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return _answer(400, graph_error(100, "(#100) Invalid JSON body"))
        if not isinstance(body, dict):
            return _answer(400, graph_error(100, "(#100) The body must be an object"))
        kind = "read" if body.get("status") == "read" else str(body.get("type"))
        failure = self._next_failure(kind)
        if failure is not None:
            status, code, message, details = _FAILURES[failure]
            return _answer(status, graph_error(code, message, details))
        if kind == "read":
            self.read.append(str(body.get("message_id")))
            return _answer(200, {"success": True})
        try:
            check_send_body(body, templates=self.templates)
        except Rejected as e:
            error = graph_error(e.code, f"(#{e.code}) Parameter value is not valid", e.details)
            self.rejected.append((body, error))
            return _answer(400, error)
        self.requests.append(body)
        recipient = str(body.get("to") or body.get("recipient"))
        contact = (
            {"input": recipient, "wa_id": "".join(c for c in recipient if c.isdigit())}
            if "to" in body
            else {"input": recipient, "user_id": recipient}
        )
        self._next_id += 1
        wamid = f"wamid.FAKE{self._next_id:010d}="
        return _answer(
            200,
            {"messaging_product": "whatsapp", "contacts": [contact], "messages": [{"id": wamid}]},
        )


def _answer(status: int, body: Json) -> web.Response:
    return web.Response(status=status, body=orjson.dumps(body), content_type="application/json")


# --- webhooks the way Meta posts them ------------------------------------------------------


def sign(raw: bytes, app_secret: str) -> str:
    """The X-Hub-Signature-256 header Meta would send with these bytes."""
    return "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()


async def signed_post(
    client_or_url: AppClient | str,
    body: Json | bytes,
    app_secret: str,
    *,
    path: str = "/webhooks/whatsapp",
    signature: str | None = None,
) -> tuple[int, str]:
    """POST a webhook signed like Meta does; return (status, response text).

    `signature` overrides the computed header (forgeries); pass "" to send none.
    """
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    header = sign(raw, app_secret) if signature is None else signature
    headers = {"Content-Type": "application/json"}
    if header:
        headers["X-Hub-Signature-256"] = header
    if isinstance(client_or_url, str):
        async with (
            aiohttp.ClientSession() as session,
            session.post(client_or_url, data=raw, headers=headers) as response,
        ):
            return response.status, await response.text()
    async with client_or_url.post(path, data=raw, headers=headers) as response:
        return response.status, await response.text()


_wamids = itertools.count(1)


def new_wamid() -> str:
    return f"wamid.IN{next(_wamids):012d}="


def text_message(
    sender: str, body: str, *, wamid: str | None = None, timestamp: int = 1_760_000_000
) -> Json:
    """value.messages[] entry of a text message from a phone-numbered user."""
    return {
        "from": sender,
        "id": wamid or new_wamid(),
        "timestamp": str(timestamp),
        "type": "text",
        "text": {"body": body},
    }


def button_reply_message(
    sender: str,
    reply_id: str,
    title: str,
    *,
    wamid: str | None = None,
    context_id: str = "wamid.OUT=",
    timestamp: int = 1_760_000_000,
) -> Json:
    return {
        "context": {"from": DEFAULT_DISPLAY_NUMBER, "id": context_id},
        "from": sender,
        "id": wamid or new_wamid(),
        "timestamp": str(timestamp),
        "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}},
    }


def list_reply_message(
    sender: str,
    row_id: str,
    title: str,
    *,
    description: str = "",
    wamid: str | None = None,
    context_id: str = "wamid.OUT=",
    timestamp: int = 1_760_000_000,
) -> Json:
    reply = {"id": row_id, "title": title}
    if description:
        reply["description"] = description
    return {
        "context": {"from": DEFAULT_DISPLAY_NUMBER, "id": context_id},
        "from": sender,
        "id": wamid or new_wamid(),
        "timestamp": str(timestamp),
        "type": "interactive",
        "interactive": {"type": "list_reply", "list_reply": reply},
    }


def template_button_message(
    sender: str,
    payload: str,
    text: str,
    *,
    wamid: str | None = None,
    context_id: str = "wamid.TEMPLATE=",
    timestamp: int = 1_760_000_000,
) -> Json:
    """A quick-reply button press on one of our templates: `type: "button"` with our payload."""
    return {
        "context": {"from": DEFAULT_DISPLAY_NUMBER, "id": context_id},
        "from": sender,
        "id": wamid or new_wamid(),
        "timestamp": str(timestamp),
        "type": "button",
        "button": {"payload": payload, "text": text},
    }


def username_only_webhook(
    user_id: str,
    message: Json,
    *,
    name: str = "Sheena",
    username: str = "@sheena",
) -> Json:
    """A message from a user who hides their number: BSUID only, no `from` and no `wa_id`.

    `message` is built by any helper above; its `from` is replaced by `from_user_id`.
    """
    hidden = {k: v for k, v in message.items() if k != "from"} | {"from_user_id": user_id}
    contact = {"profile": {"name": name, "username": username}, "user_id": user_id}
    return webhook(value(messages=[hidden]) | {"contacts": [contact]})


def status(
    wamid: str,
    state: str,
    recipient_id: str,
    *,
    timestamp: int = 1_760_000_100,
    error_code: int | None = None,
    error_title: str = "",
) -> Json:
    """value.statuses[] entry; `error_code` makes it carry Meta's errors[] array."""
    entry: Json = {
        "id": wamid,
        "status": state,
        "timestamp": str(timestamp),
        "recipient_id": recipient_id,
    }
    if error_code is not None:
        entry["errors"] = [{"code": error_code, "title": error_title, "message": error_title}]
    return entry


def value(
    *,
    messages: list[Json] | None = None,
    statuses: list[Json] | None = None,
    names: dict[str, str] | None = None,
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
) -> Json:
    """One change value; `names` maps wa_id -> profile name for the contacts array."""
    result: Json = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": DEFAULT_DISPLAY_NUMBER,
            "phone_number_id": phone_number_id,
        },
    }
    if names:
        result["contacts"] = [{"profile": {"name": n}, "wa_id": w} for w, n in names.items()]
    if messages:
        result["messages"] = messages
    if statuses:
        result["statuses"] = statuses
    return result


def webhook(*values: Json, entries: int = 1, waba_id: str = "102290129340398") -> Json:
    """The envelope; the values are spread round-robin over `entries` entries."""
    buckets: list[list[Json]] = [[] for _ in range(entries)]
    for i, v in enumerate(values):
        buckets[i % entries].append(v)
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": waba_id, "changes": [{"field": "messages", "value": v} for v in bucket]}
            for bucket in buckets
        ],
    }


def text_webhook(sender: str, body: str, *, name: str = "Budi", wamid: str | None = None) -> Json:
    return webhook(value(messages=[text_message(sender, body, wamid=wamid)], names={sender: name}))


def button_reply_webhook(
    sender: str, reply_id: str, title: str, *, wamid: str | None = None
) -> Json:
    message = button_reply_message(sender, reply_id, title, wamid=wamid)
    return webhook(value(messages=[message], names={sender: "Budi"}))


def list_reply_webhook(sender: str, row_id: str, title: str, *, wamid: str | None = None) -> Json:
    message = list_reply_message(sender, row_id, title, wamid=wamid)
    return webhook(value(messages=[message], names={sender: "Budi"}))


def status_webhook(*statuses: Json) -> Json:
    return webhook(value(statuses=list(statuses)))
