"""FakeTelegram: a strict fake of the Telegram Bot API server, plus Update builders.

It speaks the wire format of CHANNELS.md A1/A9: `/bot{token}/{method}` by GET or POST, with
parameters in the query string or in JSON, urlencoded or multipart bodies (PTB sends forms
whose object-typed fields such as `reply_markup` are JSON strings). Answers use Telegram's
envelope: `{"ok": true, "result": ...}` or `{"ok": false, "error_code": ..., "description":
...}` with the same HTTP status. It rejects what the real server rejects (bad token, empty or
over-long text, `callback_data` outside 1-64 bytes, unbalanced HTML, bad secret tokens,
getUpdates while a webhook is set), fails on demand per method (so `getMe` during
`Bot.initialize()` does not use up a scripted failure), and records every call decoded, so
tests assert on what a prospect or an SDR would see. Lengths are counted in UTF-16 code units,
the strictest reading of Telegram's "characters". The checks are written from the Bot API
docs, not from our renderer, so the two do not share mistakes.
"""

import asyncio
import html.parser
import itertools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.fakes.server import LocalServer

AppClient = TestClient[web.Request, web.Application]
Json = dict[str, Any]

DEFAULT_TOKEN: Final = "123456789:TEST-token_abc"
BOT_USER: Final[Json] = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "My Bot",
    "username": "my_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
    "can_connect_to_business": False,
    "has_main_web_app": False,
}
MAX_TEXT: Final = 4096
MAX_CALLBACK_DATA: Final = 64
MAX_ANSWER_TEXT: Final = 200
MAX_ROW: Final = 8
MAX_BUTTONS: Final = 100
NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_TOKEN_SHAPE: Final = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_SECRET_SHAPE: Final = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
# Parameters the Bot API reads as JSON when they arrive as form strings.
_JSON_FIELDS: Final = frozenset(
    {"reply_markup", "allowed_updates", "entities", "link_preview_options", "reply_parameters"}
)
_INT_FIELDS: Final = frozenset(
    {"chat_id", "message_id", "offset", "limit", "timeout", "max_connections", "cache_time"}
)
_BOOL_FIELDS: Final = frozenset(
    {"drop_pending_updates", "show_alert", "disable_notification", "protect_content"}
)


def tg_len(text: str) -> int:
    """UTF-16 code units: how Telegram counts entity offsets and, conservatively, limits."""
    return len(text.encode("utf-16-le")) // 2


class ApiError(Exception):
    """An answer the real server would give instead of a result."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def body(self) -> Json:
        body: Json = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass(frozen=True, slots=True)
class Call:
    """One request as the server understood it."""

    method: str  # as sent (the Bot API is case-insensitive; compare with .lower())
    params: Json  # decoded: ints are ints, reply_markup is a dict
    status: int  # the HTTP status the fake answered


@dataclass
class FakeTelegram(LocalServer):
    """One bot's Bot API; bind with `start()` (port 0), stop with `close()`."""

    token: str = DEFAULT_TOKEN
    calls: list[Call] = field(default_factory=list)
    # method (lower) -> queue of (error, chat id it is for, or None for any call)
    failures: dict[str, list[tuple[ApiError, int | None]]] = field(default_factory=dict)
    updates: list[Json] = field(default_factory=list)  # pending, in update_id order
    messages: dict[tuple[int, int], Json] = field(default_factory=dict)  # what chats now show
    answered: dict[str, Json] = field(default_factory=dict)  # callback query id -> params
    blocked: set[int] = field(default_factory=set)  # chats whose user blocked the bot
    webhook: Json = field(default_factory=dict)  # url, secret_token, allowed_updates, ...
    max_poll_wait: float = 0.5  # long polls wait at most this long here (tests stay fast)
    # Called after every answered-OK call with (method lower-cased, params, result): the
    # benchmark uses it to see replies arrive without scanning `calls`.
    on_call: Callable[[str, Json, Any], None] | None = None
    _message_ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(1))
    _update_ids: "itertools.count[int]" = field(default_factory=lambda: itertools.count(700_000))
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    # method (lower) -> gate: calls wait until it opens (a test kills the caller meanwhile)
    _holds: dict[str, asyncio.Event] = field(default_factory=dict)
    holding: dict[str, int] = field(default_factory=dict)  # method (lower) -> calls waiting

    # --- lifecycle --------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        return app

    @property
    def api_url(self) -> str:
        """Base URL for `Bot(token, base_url=...)`: PTB appends the token itself."""
        return self.url("/bot")

    @property
    def root_url(self) -> str:
        return self.api_url

    # --- scripting and inspection -----------------------------------------------------------

    def fail(
        self,
        method: str,
        code: int,
        description: str,
        retry_after: int | None = None,
        *,
        times: int = 1,
        chat_id: int | str | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` (to `chat_id` only, if given) with this
        error instead; other chats' calls pass, so replies and handoffs can be told apart."""
        error = ApiError(code, description, retry_after)
        chat = None if chat_id is None else int(chat_id)
        self.failures.setdefault(method.lower(), []).extend([(error, chat)] * times)

    def hold(self, method: str) -> None:
        """Keep calls of `method` waiting, unanswered, until `release`."""
        self._holds[method.lower()] = asyncio.Event()

    def release(self, method: str) -> None:
        """Answer the held calls (those whose caller is gone are dropped, never delivered)."""
        gate = self._holds.pop(method.lower(), None)
        if gate is not None:
            gate.set()

    def push_update(self, update: Json) -> int:
        """Queue an update for getUpdates; assigns `update_id` when missing."""
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        self.updates.append(update)
        self._arrived.set()
        return int(update["update_id"])

    async def post_webhook(
        self,
        client: AppClient,
        update: Json,
        *,
        secret: str | None,
        path: str = "/webhooks/telegram",
    ) -> tuple[int, str]:
        """POST an update to a bot the way Telegram's server does (CHANNELS.md A4): a JSON
        body and the secret header; `update_id` is assigned when missing. (status, body)."""
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        response = await client.post(path, data=orjson.dumps(update), headers=headers)
        return response.status, await response.text()

    def calls_of(self, method: str) -> list[Json]:
        """Decoded parameters of every answered-OK call of `method`."""
        want = method.lower()
        return [c.params for c in self.calls if c.method.lower() == want and c.status == 200]

    def sent_to(self, chat_id: int | str) -> list[Json]:
        """sendMessage parameters the chat received, in order: what the person saw arrive."""
        return [p for p in self.calls_of("sendMessage") if p["chat_id"] == int(chat_id)]

    def texts_to(self, chat_id: int | str) -> list[str]:
        return [str(p["text"]) for p in self.sent_to(chat_id)]

    # --- HTTP -------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        gate = self._holds.get(method.lower())
        if gate is not None:
            self.holding[method.lower()] = self.holding.get(method.lower(), 0) + 1
            await gate.wait()
            self.holding[method.lower()] -= 1
            if request.transport is None or request.transport.is_closing():
                # the caller died waiting: like a request Telegram never got
                return web.Response(status=499)
        params: Json = {}
        try:
            params = await _decode(request)
            self._check_token(request.match_info["token"])
            self._scripted_failure(method, params)
            handler = _METHODS.get(method.lower())
            if handler is None:
                raise ApiError(404, "Not Found")
            result = await handler(self, params)
        except ApiError as e:
            self.calls.append(Call(method, params, e.code))
            headers = {"Retry-After": str(e.retry_after)} if e.retry_after is not None else {}
            return _answer(e.code, e.body(), headers)
        self.calls.append(Call(method, params, 200))
        if self.on_call is not None:
            self.on_call(method.lower(), params, result)
        return _answer(200, {"ok": True, "result": result})

    def _scripted_failure(self, method: str, params: Json) -> None:
        queued = self.failures.get(method.lower(), [])
        for n, (error, chat) in enumerate(queued):
            if chat is None or params.get("chat_id") == chat:
                del queued[n]
                raise error

    def _check_token(self, token: str) -> None:
        if not _TOKEN_SHAPE.match(token):
            raise ApiError(404, "Not Found")
        if token != self.token:
            raise ApiError(401, "Unauthorized")

    # --- methods ----------------------------------------------------------------------------

    async def _get_me(self, params: Json) -> Any:
        return BOT_USER

    async def _set_webhook(self, params: Json) -> Any:
        url = params.get("url")
        if url is None:
            raise _bad("parameter url is required")
        if url == "":
            self.webhook = {}
            return True
        if not str(url).startswith("https://"):
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_SHAPE.match(str(secret)):
            raise _bad("secret token contains unallowed characters or is too long")
        if params.get("drop_pending_updates"):
            self.updates.clear()
        self.webhook = {k: v for k, v in params.items() if k != "drop_pending_updates"}
        return True

    async def _delete_webhook(self, params: Json) -> Any:
        self.webhook = {}
        if params.get("drop_pending_updates"):
            self.updates.clear()
        return True

    async def _get_webhook_info(self, params: Json) -> Any:
        info: Json = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.updates),
        }
        if self.webhook:
            info["max_connections"] = self.webhook.get("max_connections", 40)
            if "allowed_updates" in self.webhook:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    async def _get_updates(self, params: Json) -> Any:
        if self.webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset", 0))
        limit = int(params.get("limit", 100))
        if not 1 <= limit <= 100:
            limit = 100  # the real server clamps rather than refuses
        self._confirm(offset)
        timeout = float(params.get("timeout", 0))
        if not self.updates and timeout > 0:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), min(timeout, self.max_poll_wait))
            except TimeoutError:
                return []
            self._confirm(offset)
        return self.updates[:limit]

    def _confirm(self, offset: int) -> None:
        """Forget what `offset` confirms (CHANNELS.md A6); a negative one keeps the last -N."""
        if offset < 0:
            del self.updates[:offset]
        elif offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]

    async def _send_message(self, params: Json) -> Any:
        chat_id = _chat_id(params)
        text = _text(params)
        markup = _inline_markup(params)
        if chat_id in self.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        message: Json = {
            "message_id": next(self._message_ids),
            "from": {k: BOT_USER[k] for k in ("id", "is_bot", "first_name", "username")},
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "date": int(time.time()),
            "text": text,
        }
        if markup is not None:
            message["reply_markup"] = markup
        self.messages[chat_id, message["message_id"]] = message
        return message

    async def _edit_message_text(self, params: Json) -> Any:
        message = self._message(params)
        text = _text(params)
        markup = _inline_markup(params)
        if text == message["text"] and markup == message.get("reply_markup"):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        return self._edited(message, text=text, markup=markup)

    async def _edit_message_reply_markup(self, params: Json) -> Any:
        message = self._message(params)
        markup = _inline_markup(params)
        if markup == message.get("reply_markup"):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        return self._edited(message, text=message["text"], markup=markup)

    def _message(self, params: Json) -> Json:
        if "inline_message_id" in params:
            raise _bad("MESSAGE_ID_INVALID")
        chat_id = _chat_id(params)
        message = self.messages.get((chat_id, int(params.get("message_id", 0))))
        if message is None:
            raise _bad("message to edit not found")
        return message

    def _edited(self, message: Json, *, text: str, markup: Json | None) -> Json:
        edited = {**message, "text": text, "edit_date": int(time.time())}
        edited.pop("reply_markup", None)  # an edit without reply_markup removes the keyboard
        if markup is not None:
            edited["reply_markup"] = markup
        self.messages[message["chat"]["id"], message["message_id"]] = edited
        return edited

    async def _answer_callback_query(self, params: Json) -> Any:
        query_id = params.get("callback_query_id")
        if not query_id or query_id in self.answered:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        if tg_len(str(params.get("text", ""))) > MAX_ANSWER_TEXT:
            raise _bad("MESSAGE_TOO_LONG")
        self.answered[str(query_id)] = params
        return True

    async def _send_chat_action(self, params: Json) -> Any:
        _chat_id(params)
        return True


_METHODS: Final = {
    "getme": FakeTelegram._get_me,
    "setwebhook": FakeTelegram._set_webhook,
    "deletewebhook": FakeTelegram._delete_webhook,
    "getwebhookinfo": FakeTelegram._get_webhook_info,
    "getupdates": FakeTelegram._get_updates,
    "sendmessage": FakeTelegram._send_message,
    "editmessagetext": FakeTelegram._edit_message_text,
    "editmessagereplymarkup": FakeTelegram._edit_message_reply_markup,
    "answercallbackquery": FakeTelegram._answer_callback_query,
    "sendchataction": FakeTelegram._send_chat_action,
}


# --- decoding and validation ----------------------------------------------------------------


async def _decode(request: web.Request) -> Json:
    """Query string plus body, whichever encoding; typed the way the Bot API reads them."""
    raw: Json = dict(request.query)
    if request.method == "POST" and request.can_read_body:
        kind = request.content_type
        if kind == "application/json":
            try:
                body = orjson.loads(await request.read())
            except orjson.JSONDecodeError as e:
                raise _bad("can't parse JSON object") from e
            if not isinstance(body, dict):
                raise _bad("can't parse JSON object")
            raw.update(body)
        elif kind in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            form = await request.post()
            for key, value in form.items():
                # Uploaded files are kept by name only: no method here reads them.
                raw[key] = value if isinstance(value, str) else getattr(value, "filename", "")
    params: Json = {}
    for key, value in raw.items():
        params[key] = _typed(key, value)
    return params


def _typed(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in _JSON_FIELDS:
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError as e:
            raise _bad(f"can't parse {key} JSON object") from e
    if key in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value  # "@channelusername" is a valid chat_id
    if key in _BOOL_FIELDS:
        return value.lower() in {"true", "1"}
    return value


def _chat_id(params: Json) -> int:
    chat_id = params.get("chat_id")
    if chat_id is None or chat_id == "":
        raise _bad("chat_id is empty")
    if not isinstance(chat_id, int):
        raise _bad("chat not found")
    return chat_id


def _text(params: Json) -> str:
    text = str(params.get("text", "")).strip()  # Telegram trims surrounding whitespace
    if not text:
        raise _bad("message text is empty")
    parse_mode = params.get("parse_mode")
    if parse_mode is not None:
        if str(parse_mode).lower() != "html":
            raise _bad(f"unsupported parse_mode {parse_mode!r} (this fake checks HTML only)")
        text = _html_to_plain(text)
    if tg_len(text) > MAX_TEXT:
        raise _bad("message is too long")
    return text


def _inline_markup(params: Json) -> Json | None:
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict) or not isinstance(markup.get("inline_keyboard"), list):
        raise _bad("can't parse inline keyboard button: InlineKeyboardMarkup expected")
    rows: list[Any] = markup["inline_keyboard"]
    total = 0
    for row in rows:
        if not isinstance(row, list):
            raise _bad("can't parse inline keyboard: rows must be arrays")
        if len(row) > MAX_ROW:
            raise _bad("BUTTONS_TOO_MUCH")
        total += len(row)
        for button in row:
            if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                raise _bad("BUTTON_TEXT_INVALID")
            data = button.get("callback_data")
            if data is None and "url" not in button:
                raise _bad("can't parse inline keyboard button: Text buttons are unallowed")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise _bad("BUTTON_DATA_INVALID")
    if total > MAX_BUTTONS:
        raise _bad("REPLY_MARKUP_TOO_LONG")
    return markup


class _HtmlChecker(html.parser.HTMLParser):
    """Telegram's HTML subset: known tags, balanced; collects the visible text."""

    TAGS: Final = frozenset(
        {
            "b",
            "strong",
            "i",
            "em",
            "u",
            "ins",
            "s",
            "strike",
            "del",
            "span",
            "tg-spoiler",
            "a",
            "code",
            "pre",
            "blockquote",
            "tg-emoji",
        }
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.TAGS:
            raise _bad(f'can\'t parse entities: Unsupported start tag "{tag}"')
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            raise _bad(
                f"can't parse entities: Can't find end tag corresponding to start tag \"{tag}\""
            )
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _html_to_plain(text: str) -> str:
    checker = _HtmlChecker()
    checker.feed(text)
    checker.close()
    if checker.open:
        tag = checker.open[-1]
        raise _bad(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{tag}\""
        )
    return "".join(checker.text)


def _answer(status: int, body: Json, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status, body=orjson.dumps(body), content_type="application/json", headers=headers
    )


# --- Updates the way Telegram sends them (current schema, like tests/payloads/telegram) -------


def _user(user_id: int, first_name: str, language_code: str | None) -> Json:
    user: Json = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code is not None:
        user["language_code"] = language_code
    return user


def text_update(
    chat_id: int,
    text: str,
    *,
    message_id: int = 1,
    first_name: str = "Budi",
    language_code: str | None = "id",
    date: int = 1_760_000_000,
    update_id: int | None = None,
) -> Json:
    """A private-chat text message (a command when `text` starts with "/")."""
    message: Json = {
        "message_id": message_id,
        "from": _user(chat_id, first_name, language_code),
        "chat": {"id": chat_id, "type": "private", "first_name": first_name},
        "date": date,
        "text": text,
    }
    if text.startswith("/"):
        command = text.split(maxsplit=1)[0]
        message["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    update: Json = {"message": message}
    if update_id is not None:
        update["update_id"] = update_id
    return update


def callback_update(
    chat_id: int,
    data: str,
    *,
    question: Json | None = None,
    query_id: str = "4382bfdwdsb323b2d9",
    first_name: str = "Budi",
    language_code: str | None = "id",
    update_id: int | None = None,
) -> Json:
    """A button press on `question` (a Message JSON, e.g. from `FakeTelegram.messages`)."""
    query: Json = {
        "id": query_id,
        "from": _user(chat_id, first_name, language_code),
        "chat_instance": "-8617219466546413581",
        "data": data,
    }
    if question is not None:
        query["message"] = question
    update: Json = {"callback_query": query}
    if update_id is not None:
        update["update_id"] = update_id
    return update


def member_update(chat_id: int, status: str, *, date: int = 1_760_000_000) -> Json:
    """my_chat_member in a private chat: "kicked" when the user blocks the bot, "member" when
    they unblock it (CHANNELS.md A7)."""
    new: Json = {"status": status, "user": BOT_USER}
    old: Json = {"status": "member", "user": BOT_USER}
    if status == "kicked":
        new["until_date"] = 0  # required on ChatMemberBanned; 0 = forever
    else:
        old = {"status": "kicked", "user": BOT_USER, "until_date": 0}
    return {
        "my_chat_member": {
            "chat": {"id": chat_id, "type": "private", "first_name": "Budi"},
            "from": _user(chat_id, "Budi", "id"),
            "date": date,
            "old_chat_member": old,
            "new_chat_member": new,
        }
    }


def media_update(chat_id: int, kind: str, content: Json, *, message_id: int = 1) -> Json:
    """A private-chat message whose content is `kind` (sticker, photo, contact, ...)."""
    update = text_update(chat_id, "-", message_id=message_id)
    del update["message"]["text"]
    update["message"][kind] = content
    return update
