"""Graph API send bodies: text, reply buttons, lists, numbered text, templates, mark-read.

Pure: no I/O. `render` never builds a body the Cloud API would reject (CHANNELS.md B8):
choices become reply buttons when they fit, else a list, else numbered text.

Lengths. Meta does not say how it counts characters, so every limit here counts UTF-16 code
units: an emoji counts as 1 or 2, never as its 4 UTF-8 bytes, and whatever fits here also
fits if Meta counts code points.
"""

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, Final

from dialogs.messages import Choice, OutboundMessage

Body = dict[str, Any]  # one Graph API request body, serialised by the sender

# Cloud API limits (CHANNELS.md B8), in UTF-16 code units.
MAX_TEXT: Final = 4096
MAX_BUTTONS: Final = 3
MAX_BUTTON_TITLE: Final = 20
MAX_BUTTON_ID: Final = 256
MAX_BUTTON_BODY: Final = 1024
MAX_LIST_ROWS: Final = 10
MAX_ROW_ID: Final = 200
MAX_ROW_TITLE: Final = 24
MAX_ROW_DESCRIPTION: Final = 72
MAX_LIST_BUTTON: Final = 20
MAX_SECTION_TITLE: Final = 24
MAX_LIST_BODY: Final = 4096

DEFAULT_LIST_BUTTON: Final = "Pilih"  # "Choose": Indonesian is the home market
PLACEHOLDER_BODY: Final = "👇"  # body for choices whose text went out in bubbles before them
ELLIPSIS: Final = "…"
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-]*")


# --- lengths -------------------------------------------------------------------------------


def wa_len(text: str) -> int:
    """Length in UTF-16 code units: characters outside the BMP (most emoji) count twice."""
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def _prefix_fitting(text: str, limit: int) -> int:
    """How many code points of `text` fit in `limit` UTF-16 units."""
    used = 0
    for i, c in enumerate(text):
        used += 2 if ord(c) > 0xFFFF else 1
        if used > limit:
            return i
    return len(text)


def _joins(before: str, after: str) -> bool:
    """Whether a cut between these two characters would break one visible character."""
    code = ord(after)
    return (
        before == "\u200d"
        or code in (0x200D, 0x20E3)  # zero-width joiner, keycap
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag sequences (subdivision flags)
        or unicodedata.combining(after) != 0
        or unicodedata.category(after) in ("Mn", "Me", "Mc")
    )


def _safe_cut(text: str, n: int) -> int:
    """Move a cut at code point `n` left until it splits no grapheme; 0 if it cannot."""
    while 0 < n < len(text) and _joins(text[n - 1], text[n]):
        n -= 1
    # Flags are pairs of regional indicators: never keep an odd one.
    run = 0
    while run < n and 0x1F1E6 <= ord(text[n - 1 - run]) <= 0x1F1FF:
        run += 1
    if run % 2 and n < len(text) and 0x1F1E6 <= ord(text[n]) <= 0x1F1FF:
        n -= 1
    return n


def one_line(text: str) -> str:
    """Collapse all whitespace, as titles and labels are single lines."""
    return " ".join(text.split())


def fit(text: str, limit: int) -> str:
    """`text` if it fits in `limit` units, else its longest clean prefix plus an ellipsis."""
    if wa_len(text) <= limit:
        return text
    hard = _prefix_fitting(text, limit - 1)
    space = text.rfind(" ", 0, hard + 1)
    # End on a whole word unless that throws away more than a third of the room.
    cut = space if space > hard * 2 // 3 else (_safe_cut(text, hard) or hard)
    return text[:cut].rstrip() + ELLIPSIS


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Non-empty chunks of at most `limit` units, cut at paragraph, line or word ends."""
    chunks: list[str] = []
    rest = text.strip()
    while wa_len(rest) > limit:
        hard = _prefix_fitting(rest, limit)
        window = rest[:hard]
        cut = 0
        for sep in ("\n\n", "\n", " "):
            at = window.rfind(sep)
            if at > hard // 2:  # a separator too early would leave tiny bubbles
                cut = at
                break
        cut = cut or _safe_cut(rest, hard) or hard
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


# --- rendering -----------------------------------------------------------------------------


def _address(to: str) -> Body:
    # A phone goes in `to`; a BSUID (e.g. "US.1349...") in `recipient`.
    field = "to" if _PHONE.fullmatch(to) else "recipient"
    return {"messaging_product": "whatsapp", "recipient_type": "individual", field: to}


def text_body(to: str, text: str) -> Body:
    """One text message; `text` must already fit MAX_TEXT."""
    return {**_address(to), "type": "text", "text": {"body": text, "preview_url": False}}


def _ids_ok(choices: Sequence[Choice], max_id: int) -> bool:
    ids = [c.id for c in choices]
    return len(set(ids)) == len(ids) and all(i.strip() and wa_len(i) <= max_id for i in ids)


def fits_buttons(choices: Sequence[Choice]) -> bool:
    """Up to 3 choices with unique ids and unique, non-empty titles of at most 20 units."""
    titles = [one_line(c.label) for c in choices]
    return (
        0 < len(choices) <= MAX_BUTTONS
        and _ids_ok(choices, MAX_BUTTON_ID)
        and all(0 < wa_len(t) <= MAX_BUTTON_TITLE for t in titles)
        and len({t.casefold() for t in titles}) == len(titles)
    )


def fits_list(choices: Sequence[Choice]) -> bool:
    """Up to 10 choices with unique ids of at most 200 units and non-empty labels."""
    return (
        0 < len(choices) <= MAX_LIST_ROWS
        and _ids_ok(choices, MAX_ROW_ID)
        and all(one_line(c.label) for c in choices)
    )


def _buttons(to: str, body: str, choices: Sequence[Choice]) -> Body:
    buttons = [
        {"type": "reply", "reply": {"id": c.id, "title": one_line(c.label)}} for c in choices
    ]
    interactive = {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}}
    return {**_address(to), "type": "interactive", "interactive": interactive}


def _row(choice: Choice) -> Body:
    label = one_line(choice.label)
    if wa_len(label) <= MAX_ROW_TITLE:
        return {"id": choice.id, "title": label}
    # The title shows the start; the description carries the whole label (or most of it).
    return {
        "id": choice.id,
        "title": fit(label, MAX_ROW_TITLE),
        "description": fit(label, MAX_ROW_DESCRIPTION),
    }


def _list(to: str, body: str, choices: Sequence[Choice], button: str) -> Body:
    label = fit(one_line(button) or DEFAULT_LIST_BUTTON, MAX_LIST_BUTTON)
    section = {"title": fit(label, MAX_SECTION_TITLE), "rows": [_row(c) for c in choices]}
    interactive = {
        "type": "list",
        "body": {"text": body},
        "action": {"button": label, "sections": [section]},
    }
    return {**_address(to), "type": "interactive", "interactive": interactive}


def _with_choices(to: str, text: str, limit: int, build: Callable[[str], Body]) -> list[Body]:
    """The choices message, preceded by text bubbles when the text is too long for its body."""
    if text and wa_len(text) <= limit:
        return [build(text)]
    head, _, tail = text.rpartition("\n\n")
    tail = tail.strip()
    if head.strip() and tail and wa_len(tail) <= limit:
        # Usually the question is the last paragraph: keep it next to the buttons.
        return [*(text_body(to, c) for c in split_text(head)), build(tail)]
    return [*(text_body(to, c) for c in split_text(text)), build(PLACEHOLDER_BODY)]


def numbered(text: str, choices: Sequence[Choice]) -> str:
    """Choices as "1. label" lines under the text; the engine accepts "2" as an answer."""
    lines = "\n".join(f"{i}. {one_line(c.label) or c.id}" for i, c in enumerate(choices, 1))
    return f"{text}\n\n{lines}" if text else lines


def render(
    message: OutboundMessage, to: str, *, list_button: str = DEFAULT_LIST_BUTTON
) -> list[Body]:
    """Graph API bodies for one reply, in sending order; never one the API would reject.

    Empty text without choices renders to no body at all.
    """
    text = message.text.strip()
    choices = message.choices
    if choices and fits_buttons(choices):
        return _with_choices(to, text, MAX_BUTTON_BODY, lambda b: _buttons(to, b, choices))
    if choices and fits_list(choices):
        return _with_choices(to, text, MAX_LIST_BODY, lambda b: _list(to, b, choices, list_button))
    if choices:
        text = numbered(text, choices)
    return [text_body(to, chunk) for chunk in split_text(text)]


def _template_param(value: str) -> str:
    # Template parameters may not hold newlines, tabs or more than 4 spaces in a row, and
    # may not be empty.
    return re.sub(r" {4,}", "   ", re.sub(r"[\n\t\r]+", " ", value)).strip() or "-"


def render_template(
    to: str,
    name: str,
    language: str,
    params: Sequence[str] = (),
    *,
    button_payloads: Sequence[str] = (),
) -> Body:
    """A template message: body parameters in order, then one payload per quick reply."""
    components: list[Body] = []
    if params:
        parameters = [{"type": "text", "text": _template_param(p)} for p in params]
        components.append({"type": "body", "parameters": parameters})
    components.extend(
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": str(i),
            "parameters": [{"type": "payload", "payload": payload}],
        }
        for i, payload in enumerate(button_payloads)
    )
    template: Body = {"name": name, "language": {"policy": "deterministic", "code": language}}
    if components:
        template["components"] = components
    return {**_address(to), "type": "template", "template": template}


def mark_read_body(wamid: str, *, typing: bool = False) -> Body:
    """Mark an inbound message (and earlier ones) read; optionally show typing for ≤25 s."""
    body: Body = {"messaging_product": "whatsapp", "status": "read", "message_id": wamid}
    if typing:
        body["typing_indicator"] = {"type": "text"}
    return body
