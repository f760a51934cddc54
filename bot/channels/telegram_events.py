"""Telegram updates in: Update bytes -> TelegramEvent (TelegramInbound, Blocked, Unblocked,
Ignored), parsed once with PTB's `Update.de_json`. Decisions the app and README rely on:

* **Edits are ignored.** An `edited_message` arrives after the conversation has moved on;
  re-reading it would answer an old question twice or count one answer twice, and Telegram
  also sends it for changes that are not text (CHANNELS.md A7). It becomes `Ignored`.
* **Private chats only for conversations.** Group and supergroup texts become
  `TelegramInbound` with their `chat_type`, because a sales group types rejection reasons
  there; the app never runs them through the pipeline (every member of a group would
  otherwise become a lead). Other group messages and channel posts are `Ignored`. Button
  presses are taken from any chat, because SDR handoff cards may sit in a sales group.
* **Shared contacts** fill the phone only when the contact is the sender's own
  (`contact.user_id == from.id`); the number gets its "+" (Telegram often omits it).
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import orjson
from telegram import Bot, CallbackQuery, ChatMemberUpdated, Message, Update, User
from telegram.constants import ChatMemberStatus, ChatType

from bot.errors import BadPayload
from dialogs.messages import Channel, InboundMessage

logger = logging.getLogger(__name__)

COMMANDS: Final = frozenset({"start", "stop", "help", "restart"})
# Checked in this order: an animation also carries `document`, a photo may carry a caption.
MEDIA: Final = (
    "animation",
    "sticker",
    "photo",
    "video_note",
    "video",
    "voice",
    "audio",
    "document",
    "location",
    "venue",
    "poll",
    "dice",
    "game",
    "story",
    "contact",
)


# --- events ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnsweredQuestion:
    """The bot message whose button was pressed: its keyboard is removed once answered."""

    chat_id: int
    message_id: int
    text: str | None  # None when Telegram no longer shows us the message
    label: str | None  # the pressed button's text, read from the message's own keyboard


@dataclass(frozen=True, slots=True)
class TelegramInbound:
    """Something a person said or pressed, ready for the pipeline."""

    update_id: int
    message: InboundMessage
    chat_type: str = ChatType.PRIVATE
    callback_id: str | None = None  # answer it (TelegramSender.answer_callback)
    question: AnsweredQuestion | None = None  # mark it (TelegramSender.mark_answered)
    reply_to: str | None = None  # the message this one replies to (an SDR's reply to a notice)


@dataclass(frozen=True, slots=True)
class Blocked:
    """The prospect blocked the bot: mark the lead unreachable and send nothing more."""

    update_id: int
    channel_user_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Unblocked:
    """The prospect unblocked the bot (or started it again after blocking)."""

    update_id: int
    channel_user_id: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Ignored:
    """Acknowledged and dropped; `callback_id` still wants an answer to stop the spinner."""

    update_id: int
    reason: str
    callback_id: str | None = None


TelegramEvent = TelegramInbound | Blocked | Unblocked | Ignored


# --- parsing --------------------------------------------------------------------------------


def parse_update(raw: bytes, bot: Bot | None = None) -> Update:
    """Parse a webhook body once; BadPayload (-> 400) says why when it is not an Update.

    `bot` only serves PTB's shortcut methods (`update.message.reply_text`); it need not be
    initialised.
    """
    if not raw.strip():
        raise BadPayload("telegram: empty body; expected a JSON Update")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        raise BadPayload(f"telegram: body is not JSON: {e}") from e
    return update_from_dict(data, bot)


def update_from_dict(data: object, bot: Bot | None = None) -> Update:
    """Validate one decoded Update (webhook body or getUpdates item)."""
    if not isinstance(data, dict):
        raise BadPayload("telegram: an Update must be a JSON object")
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise BadPayload("telegram: update_id is missing or not an integer")
    try:
        update = Update.de_json(data, bot)
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError, OSError) as e:
        # e.g. Telegram's 2015 webhook-guide examples: "User.__init__() missing ... 'is_bot'"
        raise BadPayload(f"telegram: update {update_id} does not match the Bot API: {e}") from e
    return update


def to_event(update: Update, *, received_at: datetime) -> TelegramEvent:
    """Normalise one Update. `received_at` dates button presses, which carry no date.

    PTB builds objects without checking their required fields (a message without `chat`):
    one that is missing what we read is BadPayload, like any other update off the Bot API.
    """
    try:
        return _event_of(update, received_at)
    except (AttributeError, TypeError, ValueError) as e:
        raise BadPayload(
            f"telegram: update {update.update_id} does not match the Bot API: {e}"
        ) from e


def _event_of(update: Update, received_at: datetime) -> TelegramEvent:
    uid = update.update_id
    if update.callback_query is not None:
        return _from_callback(uid, update.callback_query, received_at)
    if update.message is not None:
        return _from_message(uid, update.message)
    if update.my_chat_member is not None:
        return _from_membership(uid, update.my_chat_member)
    if update.edited_message is not None:
        return Ignored(uid, "edited message: the conversation has moved on")
    kind = next((k for k in Update.ALL_TYPES if getattr(update, k, None) is not None), "unknown")
    return Ignored(uid, f"update type {kind} is not used")


def _from_message(uid: int, message: Message) -> TelegramEvent:
    user = message.from_user
    chat_type = message.chat.type
    if chat_type not in {ChatType.PRIVATE, ChatType.GROUP, ChatType.SUPERGROUP}:
        return Ignored(uid, f"message in a {chat_type} chat")
    if user is None or user.is_bot:
        return Ignored(uid, "message not sent by a person")
    chat_id = message.chat.id
    base = _inbound(user, chat_id, f"{chat_id}:{message.message_id}", message.date)
    replied = message.reply_to_message
    reply_to = str(replied.message_id) if replied is not None else None
    if chat_type != ChatType.PRIVATE:
        # Only an SDR group's reason for a rejection (or reply to a notice) is of use there.
        if message.text is None:
            return Ignored(uid, f"non-text message in a {chat_type} chat")
        return TelegramInbound(
            uid, _replace(base, text=message.text), chat_type=chat_type, reply_to=reply_to
        )
    if message.text is not None:
        return TelegramInbound(uid, _with_text(base, message.text), reply_to=reply_to)
    contact = message.contact
    if contact is not None and contact.user_id == user.id:
        return TelegramInbound(uid, _replace(base, contact_phone=_e164(contact.phone_number)))
    kind = next((k for k in MEDIA if getattr(message, k, None)), None)
    if kind is None:
        # Service messages (pins, video chat events, "write access allowed"...).
        return Ignored(uid, "message without text or media")
    return TelegramInbound(uid, _replace(base, unsupported=kind))


def _e164(phone: str) -> str:
    """A shared contact's number: Telegram sends it international, often without the "+"."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"+{digits}" if digits else phone


def _with_text(base: InboundMessage, text: str) -> InboundMessage:
    if text.startswith("/"):
        head, _, rest = text.partition(" ")
        command = head[1:].partition("@")[0].lower()  # "/start@my_bot" in groups
        if command in COMMANDS:
            # A deep link t.me/bot?start=fb_ads arrives as "/start fb_ads" (payload 1-64 chars).
            source = (rest.strip() or None) if command == "start" else None
            return _replace(base, command=command, source=source)
    return _replace(base, text=text)


def _from_callback(uid: int, query: CallbackQuery, received_at: datetime) -> TelegramEvent:
    if query.data is None:
        return Ignored(uid, "callback query without data (game)", callback_id=query.id)
    message = query.message
    if message is None:
        return Ignored(uid, "callback query from an inline message", callback_id=query.id)
    chat_id = message.chat.id
    question: AnsweredQuestion | None = None
    if isinstance(message, Message):  # else InaccessibleMessage: too old to show us its text
        label = _pressed_label(message, query.data)
        question = AnsweredQuestion(chat_id, message.message_id, message.text, label)
    else:
        question = AnsweredQuestion(chat_id, message.message_id, None, None)
    inbound = _replace(
        _inbound(query.from_user, chat_id, f"cb:{query.id}", received_at), choice_id=query.data
    )
    return TelegramInbound(
        uid, inbound, chat_type=message.chat.type, callback_id=query.id, question=question
    )


def _pressed_label(message: Message, data: str) -> str | None:
    markup = message.reply_markup
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


def _from_membership(uid: int, update: ChatMemberUpdated) -> TelegramEvent:
    if update.chat.type != ChatType.PRIVATE:
        return Ignored(uid, f"bot membership changed in a {update.chat.type} chat")
    status = update.new_chat_member.status
    user_id = str(update.chat.id)
    if status == ChatMemberStatus.BANNED:  # "kicked": the user blocked the bot
        return Blocked(uid, user_id, update.date)
    if status == ChatMemberStatus.MEMBER:
        return Unblocked(uid, user_id, update.date)
    return Ignored(uid, f"bot membership status {status}")


def _inbound(user: User, chat_id: int, message_id: str, sent_at: datetime) -> InboundMessage:
    name = " ".join(part for part in (user.first_name, user.last_name) if part).strip()
    return InboundMessage(
        channel=Channel.TELEGRAM,
        channel_user_id=str(chat_id),
        message_id=message_id,
        sent_at=sent_at,
        language_hint=user.language_code or None,
        profile_name=name or None,
    )


def _replace(
    base: InboundMessage,
    *,
    text: str = "",
    choice_id: str | None = None,
    unsupported: str | None = None,
    command: str | None = None,
    source: str | None = None,
    contact_phone: str | None = None,
) -> InboundMessage:
    # dataclasses.replace() on a slotted frozen dataclass is ~3x slower than this.
    return InboundMessage(
        channel=base.channel,
        channel_user_id=base.channel_user_id,
        message_id=base.message_id,
        sent_at=base.sent_at,
        text=text,
        choice_id=choice_id,
        language_hint=base.language_hint,
        unsupported=unsupported,
        command=command,
        source=source,
        contact_phone=contact_phone,
        profile_name=base.profile_name,
    )
