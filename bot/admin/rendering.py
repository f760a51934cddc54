"""Admin HTML: the jinja2 environment (autoescape on), filters, view rows, security headers."""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from urllib.parse import urlencode

import jinja2
from aiohttp import web
from pydantic import ValidationError

from dialogs import ConversationState, Flow
from dialogs.describe import describe_value

logger = logging.getLogger(__name__)

SECURITY_HEADERS: Final[Mapping[str, str]] = {
    # Scripts only from our own files (the flow editor's tabs), never inline: even a markup
    # bug could not run a prospect's <script>.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def when(value: datetime | None) -> str:
    """A timestamp as admins read it: UTC, to the minute."""
    return "" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def templates() -> jinja2.Environment:
    """The page templates; autoescape is on for every template, whatever its name."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.admin", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a typo in a template fails the tests, not silently
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    return env


def query_string(**params: str | int | None) -> str:
    """`?stage=sql&page=2` without the empty parameters."""
    kept = {key: value for key, value in params.items() if value not in (None, "")}
    return "?" + urlencode(kept) if kept else ""


@dataclass(frozen=True, slots=True)
class SlotView:
    """One slot as the lead page shows it."""

    name: str
    value: str
    words: str
    status: str
    at: datetime


def slot_views(state_json: str | None, flow: Flow) -> tuple[list[SlotView], str]:
    """The slots in words with the prospect's own words; a problem note if unreadable."""
    if state_json is None:
        return [], ""
    try:
        state = ConversationState.model_validate_json(state_json)
    except ValidationError as e:
        # A state from an older schema must not take the whole page down.
        logger.warning("conversation state unreadable: %d problems", e.error_count())
        return [], "The stored conversation state could not be read."
    views = []
    for name, slot in state.slots.items():
        filled = slot.status == "filled" and slot.value is not None
        value = describe_value(name, slot.value, "en", flow.question_for_slot(name))
        views.append(
            SlotView(name, value if filled else "unknown", slot.raw, slot.status, slot.at)
        )
    return views, ""


async def security_headers(_: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: every admin response, redirects and errors included."""
    response.headers.update(SECURITY_HEADERS)
