"""The web chat's history (`GET /api/chat/history?session=...`): a reloaded page shows the
conversation so far.

The session id is the only key to a conversation, so it is a bearer secret: the page makes
it with crypto.randomUUID(), and a short one is refused because it could be guessed.
"""

import re
from typing import Any, Final

from bot.errors import BadPayload
from dialogs import Channel
from storage.messages import StoredMessage

MIN_SESSION: Final = 16
MAX_SESSION: Final = 128
HISTORY_LIMIT: Final = 500  # messages a page load shows, the latest ones
_SESSION: Final = re.compile(r"^[A-Za-z0-9_.:-]+$")
CHANNEL: Final = Channel.WEB.value


def history_session(value: str | None) -> str:
    """The session asked for; BadPayload when it is missing, malformed or guessable."""
    if not value:
        raise BadPayload("session is required: /api/chat/history?session=<visitor id>")
    if len(value) > MAX_SESSION or not _SESSION.match(value):
        raise BadPayload(
            f"session must be at most {MAX_SESSION} characters of A-Z a-z 0-9 _ . : -"
        )
    if len(value) < MIN_SESSION:
        raise BadPayload(
            f"session must be at least {MIN_SESSION} characters: a shorter id can be guessed, "
            "and it is all it takes to read the conversation"
        )
    return value


def render_history(stored: list[StoredMessage], language: str | None) -> dict[str, Any]:
    """Both sides in order; a button press is shown as the label the prospect pressed."""
    labels: dict[str, str] = {}  # choice id -> label, of the latest question that offered it
    shown: list[dict[str, Any]] = []
    for message in stored:
        choices = message.choices or []
        if message.direction == "out":
            labels = {c["id"]: c["label"] for c in choices} or labels
            shown.append({"from": "bot", "text": message.text, "choices": choices})
            continue
        text = message.text
        if not text and message.choice_id is not None:
            text = labels.get(message.choice_id, message.choice_id)
        shown.append({"from": "me", "text": text, "choices": []})
    return {"messages": shown, "language": language}
