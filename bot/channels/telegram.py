"""Telegram replies out: OutboundMessage -> sendMessage parts (inline keyboards, split texts),
callback data that fits 64 bytes, the flood-limit throttle and TelegramSender (PTB's Bot on
the app's aiohttp session). Updates in are `telegram_events.py`. Decisions:

* **Plain text, no parse_mode.** `OutboundMessage.text` is plain text; sent without a parse
  mode it needs no escaping and can never fail with "can't parse entities". Telegram still
  links URLs, e-mail addresses and phone numbers by itself.
* **callback_data is the option id itself** when it is 1-64 UTF-8 bytes and does not start
  with `#`; otherwise `#` + the first 16 hex digits of its SHA-256. Nothing is stored on the
  server: `resolve_choice(choice_id, option_ids)` maps a `#` token back by hashing the
  current question's option ids (flow option ids cannot contain `#`). A token that matches
  nothing stays as it is and the engine re-asks, as it does for any stale button.
* **Long texts** are split below 4096 UTF-16 code units (Telegram's count; emoji outside the
  BMP count twice) at a paragraph, line or word boundary, never inside a code point; the
  keyboard goes on the last part.
"""

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Literal, Self

import aiohttp
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.channels.telegram_events import AnsweredQuestion
from bot.channels.telegram_transport import AiohttpRequest
from bot.errors import ChannelError
from dialogs.messages import Choice, OutboundMessage

logger = logging.getLogger(__name__)

CHANNEL: Final = "telegram"
DEFAULT_API_URL: Final = "https://api.telegram.org/bot"
MAX_TEXT: Final = 4096  # UTF-16 code units (CHANNELS.md A8)
MAX_CALLBACK_DATA: Final = 64  # bytes
MAX_BUTTONS: Final = 100  # undocumented, "might be changed by Telegram"
SHORT_LABEL: Final = 16  # labels up to this long sit two to a row
HASH_MARK: Final = "#"
EMPTY_TEXT: Final = "…"  # Telegram refuses an empty text, and a keyboard needs a message


# --- callback data --------------------------------------------------------------------------


def callback_data(choice_id: str) -> str:
    """The option id when it fits 1-64 bytes, else a stable `#` token (see module doc)."""
    size = len(choice_id.encode())
    if 1 <= size <= MAX_CALLBACK_DATA and not choice_id.startswith(HASH_MARK):
        return choice_id
    return HASH_MARK + hashlib.sha256(choice_id.encode()).hexdigest()[:16]


def resolve_choice(choice_id: str, option_ids: Iterable[str]) -> str:
    """Map a `#` token back to the option id it was made from; anything else is returned."""
    if not choice_id.startswith(HASH_MARK):
        return choice_id
    for option_id in option_ids:
        if callback_data(option_id) == choice_id:
            return option_id
    return choice_id


# --- rendering ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """One sendMessage: plain text (no parse_mode) and maybe an inline keyboard."""

    text: str
    reply_markup: InlineKeyboardMarkup | None = None


def render(message: OutboundMessage) -> list[RenderedMessage]:
    """Split the text to fit and put the choices, as an inline keyboard, on the last part."""
    chunks = split_text(message.text)
    markup = keyboard(message.choices)
    if not chunks:
        if markup is None:
            return []
        chunks = [EMPTY_TEXT]
    rendered = [RenderedMessage(chunk) for chunk in chunks[:-1]]
    rendered.append(RenderedMessage(chunks[-1], markup))
    return rendered


def keyboard(choices: Sequence[Choice]) -> InlineKeyboardMarkup | None:
    """One button per row, or two when every label is short (they stay readable on phones)."""
    if not choices:
        return None
    if len(choices) > MAX_BUTTONS:
        logger.warning("telegram: %d choices, only the first %d shown", len(choices), MAX_BUTTONS)
        choices = choices[:MAX_BUTTONS]
    buttons = [
        InlineKeyboardButton(c.label.strip() or c.id, callback_data=callback_data(c.id))
        for c in choices
    ]
    per_row = 2 if len(buttons) > 2 and all(len(b.text) <= SHORT_LABEL for b in buttons) else 1
    return InlineKeyboardMarkup(
        [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    )


def utf16_len(text: str) -> int:
    """Telegram counts text length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Non-empty parts of at most `limit` UTF-16 units, cut at the best boundary available."""
    rest = text.strip()  # Telegram trims anyway; an all-blank part would be refused
    chunks: list[str] = []
    while utf16_len(rest) > limit:
        fit = limit
        while utf16_len(rest[:fit]) > limit:  # astral characters count twice
            fit -= max(1, (utf16_len(rest[:fit]) - limit) // 2)
        window = rest[:fit]
        cut = fit
        for separator in ("\n\n", "\n", " "):
            at = window.rfind(separator)
            if at > fit // 4:  # not so early that we make a tiny part
                cut = at + len(separator)
                break
        head, rest = rest[:cut].rstrip(), rest[cut:].lstrip()
        if head:
            chunks.append(head)
    if rest:
        chunks.append(rest)
    return chunks


# --- rate limiting --------------------------------------------------------------------------


class RateLimiter:
    """Telegram's flood limits as two token buckets: per chat and for the whole bot.

    The Bot API FAQ: about 1 message/s per chat with short bursts allowed, about 30/s overall
    (the defaults; a rate of 0 turns that bucket off). GCRA-style: one timestamp per bucket,
    O(1) per send, so it is cheap enough to leave on. Waiting happens here, before the call;
    a 429 that still comes back becomes a ChannelError with `retry_after` for the outbox.
    """

    def __init__(
        self,
        *,
        per_second: float = 30.0,
        burst: int = 30,
        per_chat_per_second: float = 1.0,
        chat_burst: int = 3,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = 1.0 / per_second if per_second else 0.0
        self._burst = burst
        self._chat_interval = 1.0 / per_chat_per_second if per_chat_per_second else 0.0
        self._chat_burst = chat_burst
        self._monotonic = monotonic
        self._global = 0.0
        self._chats: dict[str, float] = {}

    def reserve(self, chat: str) -> float:
        """Book the next slot for `chat`; return the seconds to wait before sending."""
        now = self._monotonic()
        wait_all, self._global = _gcra(self._global, now, self._interval, self._burst)
        wait_chat, self._chats[chat] = _gcra(
            self._chats.get(chat, now), now, self._chat_interval, self._chat_burst
        )
        if len(self._chats) > 10_000:  # forget chats whose bucket is full again
            self._chats = {k: t for k, t in self._chats.items() if t > now}
        return max(wait_all, wait_chat)

    async def acquire(self, chat: str) -> None:
        wait = self.reserve(chat)
        if wait > 0:
            await asyncio.sleep(wait)


def _gcra(tat: float, now: float, interval: float, burst: int) -> tuple[float, float]:
    """(seconds to wait, new theoretical arrival time) for one more event."""
    tat = max(tat, now)
    wait = max(0.0, tat - now - (burst - 1) * interval)
    return wait, tat + interval


# --- sending --------------------------------------------------------------------------------

ErrorCode = Literal[
    "retry_after",
    "forbidden",
    "invalid_token",
    "bad_request",
    "chat_migrated",
    "timeout",
    "network",
    "telegram",
]


def channel_error(e: TelegramError) -> ChannelError:
    """Translate PTB's error tree at the boundary; the outbox reads `permanent`/`retry_after`.

    | PTB error        | permanent | retry_after | code          |
    |------------------|-----------|-------------|---------------|
    | RetryAfter (429) | no        | its seconds | retry_after   |
    | Forbidden (403)  | yes       | -           | forbidden     |
    | InvalidToken     | yes       | -           | invalid_token |
    | BadRequest (400) | yes       | -           | bad_request   |
    | ChatMigrated     | yes       | -           | chat_migrated |
    | TimedOut         | no        | None        | timeout       |
    | NetworkError/5xx | no        | None        | network       |
    """
    code: ErrorCode
    if isinstance(e, RetryAfter):
        wait = e.retry_after  # int | timedelta; a timedelta once PTB_TIMEDELTA=1
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return ChannelError(CHANNEL, str(e), retry_after=seconds, code="retry_after")
    if isinstance(e, Forbidden):
        # blocked by the user, or never started: nothing of ours reaches this chat
        return ChannelError(CHANNEL, e.message, permanent=True, code="forbidden", unreachable=True)
    if isinstance(e, InvalidToken):
        return ChannelError(CHANNEL, e.message, permanent=True, code="invalid_token")
    if isinstance(e, BadRequest):
        return ChannelError(CHANNEL, e.message, permanent=True, code="bad_request")
    if isinstance(e, ChatMigrated):
        message = f"group moved to chat {e.new_chat_id}: update the configured chat id"
        return ChannelError(CHANNEL, message, permanent=True, code="chat_migrated")
    if isinstance(e, TimedOut):
        return ChannelError(CHANNEL, e.message, code="timeout")
    code = "network" if isinstance(e, NetworkError) else "telegram"
    return ChannelError(CHANNEL, e.message, code=code)


def _not_modified(e: BadRequest) -> bool:
    # A double press or a retried edit: the message already shows what we wanted.
    return "message is not modified" in e.message.lower()


class TelegramSender:
    """Implements the Sender port on `telegram.Bot`; raises ChannelError only."""

    def __init__(self, bot: Bot, *, limiter: RateLimiter | None = None) -> None:
        self.bot = bot
        self._limiter = limiter  # None: no client-side throttling (benchmarks, tests)
        # Only sends are throttled: answerCallbackQuery must be quick, and edits follow a
        # press one-for-one.

    @classmethod
    def create(
        cls,
        token: str,
        session: aiohttp.ClientSession,
        *,
        api_url: str = DEFAULT_API_URL,
        limiter: RateLimiter | None = None,
    ) -> Self:
        """A sender on the app's shared session. Call `start()` before use, `close()` after.

        Sends wait for `limiter` when there is one (None: no client-side throttling).
        """
        request = AiohttpRequest(session)
        # getUpdates and every other call share one request object; both borrow one session.
        bot = Bot(token, base_url=api_url, request=request, get_updates_request=request)
        return cls(bot, limiter=limiter)

    async def start(self) -> None:
        """Check the token with getMe (PTB's `initialize`), so a bad one fails at start-up."""
        try:
            await self.bot.initialize()
        except TelegramError as e:
            raise channel_error(e) from e

    async def close(self) -> None:
        await self.bot.shutdown()  # closes no session: AiohttpRequest borrows the app's

    async def send(self, channel_user_id: str, message: OutboundMessage) -> str:
        """Send every part of `message`; return the id of the last one (it holds the keyboard).

        A failure after some parts went out raises; a retry sends those parts again.
        """
        chat_id = int(channel_user_id)
        sent_id = ""
        for part in render(message):
            if self._limiter is not None:
                await self._limiter.acquire(channel_user_id)
            params: dict[str, object] = {"chat_id": chat_id, "text": part.text}
            if part.reply_markup is not None:
                params["reply_markup"] = part.reply_markup
            sent = await self._call("sendMessage", params)
            sent_id = str(sent["message_id"]) if isinstance(sent, dict) else ""
        return sent_id

    async def _call(self, method: str, params: dict[str, object]) -> object:
        """One Bot API call through PTB's request layer, answer left as JSON.

        `Bot.send_message` would build a full `telegram.Message` from each answer: ~160 µs of
        CPU per send, for the one field we read. PTB's request object still encodes the
        parameters and maps error answers to its exceptions (RetryAfter, Forbidden, ...).
        """
        data = RequestData([RequestParameter.from_input(k, v) for k, v in params.items()])
        try:
            result: object = await self.bot.request.post(
                f"{self.bot.base_url}/{method}", request_data=data
            )
        except TelegramError as e:
            raise channel_error(e) from e
        return result

    async def answer_callback(self, callback_id: str, text: str | None = None) -> bool:
        """Stop the button's spinner. Best effort: False when Telegram refused.

        A refusal is not worth a retry: queries expire after 150 s and the spinner stops on
        its own; nothing the prospect needs is lost.
        """
        try:
            return await self.bot.answer_callback_query(callback_id, text=text)
        except TelegramError as e:
            logger.warning("telegram: answerCallbackQuery %s failed: %s", callback_id, e)
            return False

    async def mark_answered(self, question: AnsweredQuestion) -> None:
        """Remove the answered question's keyboard and show the choice as "✓ label"."""
        if question.text is not None and question.label:
            text = f"{question.text}\n\n✓ {question.label}"
            if utf16_len(text) <= MAX_TEXT:
                await self.edit_text(question.chat_id, question.message_id, text)
                return
        await self.remove_keyboard(question.chat_id, question.message_id)

    async def edit_text(
        self, chat_id: int, message_id: int, text: str, choices: Sequence[Choice] = ()
    ) -> None:
        """Replace a message's text and keyboard (no choices: the keyboard goes)."""
        # One message cannot be split: an over-long edit keeps its first part and an ellipsis.
        parts = split_text(text) or [EMPTY_TEXT]
        body = parts[0] if len(parts) == 1 else split_text(text, MAX_TEXT - 1)[0] + "…"
        params: dict[str, object] = {"chat_id": chat_id, "message_id": message_id, "text": body}
        markup = keyboard(choices)
        if markup is not None:
            params["reply_markup"] = markup
        await self._edit("editMessageText", params)

    async def edit_notice(self, target: str, message_id: str, message: OutboundMessage) -> None:
        """A handoff notice rewritten in place (its summary grew), buttons kept."""
        await self.edit_text(int(target), int(message_id), message.text, message.choices)

    async def remove_keyboard(self, chat_id: int, message_id: int) -> None:
        await self._edit("editMessageReplyMarkup", {"chat_id": chat_id, "message_id": message_id})

    async def _edit(self, method: str, params: dict[str, object]) -> None:
        try:
            await self._call(method, params)
        except ChannelError as e:
            if not (isinstance(e.__cause__, BadRequest) and _not_modified(e.__cause__)):
                raise
