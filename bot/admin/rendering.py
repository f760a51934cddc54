"""Admin HTML: the jinja2 environment (autoescape on), filters, view rows, security headers."""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Final
from urllib.parse import urlencode

import jinja2
from aiohttp import web
from pydantic import ValidationError

from dialogs import ConversationState, Flow
from dialogs.describe import describe_value

logger = logging.getLogger(__name__)

SECURITY_HEADERS: Final[Mapping[str, str]] = {
    # Scripts only from our own files (the flow editor's tabs, the live transcript), never
    # inline: even a markup bug could not run a prospect's <script>.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; connect-src 'self'; "
        "style-src 'unsafe-inline'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def when(value: datetime | None, zone: tzinfo = UTC) -> str:
    """A timestamp as admins read it: in their zone (QUALIBOT_ADMIN_TIMEZONE), to the minute,
    with the zone's name (`WIB`)."""
    return "" if value is None else value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def folded(reasons: list[str]) -> list[tuple[str, int]]:
    """Repeated score reasons once each, with how many times, in first-seen order."""
    counts: dict[str, int] = {}
    for reason in reasons:
        counts[reason] = counts.get(reason, 0) + 1
    return list(counts.items())


def labeller(flows: Callable[[], Flow]) -> Callable[[object], str]:
    """An id as words: an option's English label (`s11_50` -> `11-50`), else the id with
    spaces (`lead_management` -> `lead management`)."""

    def label(value: object) -> str:
        text = "" if value is None else str(value)
        for question in flows().questions.values():
            for option in question.options:
                if option.id == text:
                    return option.label.get("en", text)
        return text.replace("_", " ") if text.isidentifier() else text

    return label


def templates(zone: tzinfo = UTC, flow: Callable[[], Flow] | None = None) -> jinja2.Environment:
    """The page templates; autoescape is on for every template, whatever its name."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.admin", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a typo in a template fails the tests, not silently
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = lambda value: when(value, zone)
    if flow is not None:
        env.filters["label"] = labeller(flow)
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
