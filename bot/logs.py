"""Logging set-up: one line per event, with phone numbers, emails and tokens masked."""

import logging
import re
from typing import Final

_EMAIL: Final = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_PHONE: Final = re.compile(r"(?<![\w/])(\+?\d[\d\s-]{5,}\d)(?!\w)")
# Bot API tokens (123456:ABC...) appear in URLs PTB or aiohttp may log on errors.
_TOKEN: Final = re.compile(r"(?<!\d)\d{6,}:[A-Za-z0-9_-]{20,}")
# Statement values that drivers and SQLAlchemy echo into their errors: asyncpg's
# "invalid input for query argument $3: 'text...' (...)", SQLAlchemy's "[parameters: ...]"
# (the engine hides those, but nothing else must leak them either).
_DRIVER_ARGUMENT: Final = re.compile(r"(query argument \$\d+: ).*")
_PARAMETERS: Final = re.compile(r"\[parameters: .*?\](?=\n|$)", re.DOTALL)


def mask(text: str) -> str:
    """`budi@maju.co.id` -> `b***@maju.co.id`, `+6281234567890` -> `+628******890`, tokens
    and statement values gone."""
    text = _TOKEN.sub("<token>", text)
    text = _DRIVER_ARGUMENT.sub(r"\1<value hidden>", text)
    text = _PARAMETERS.sub("[parameters hidden]", text)
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)

    def phone(match: re.Match[str]) -> str:
        raw = match.group(1)
        digits = [c for c in raw if c.isdigit()]
        if len(digits) < 8:
            return raw
        prefix = "+" if raw.startswith("+") else ""
        shown = "".join(digits)
        return f"{prefix}{shown[:3]}{'*' * (len(shown) - 6)}{shown[-3:]}"

    return _PHONE.sub(phone, text)


class MaskingFormatter(logging.Formatter):
    """Masks the whole formatted record: the message, and the traceback and exception text
    too (a driver's error may quote the values of the statement that failed)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))


def setup_logging(level: int = logging.INFO) -> None:
    """Root logging for `serve`: timestamps, levels, masking of everything written."""
    handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
