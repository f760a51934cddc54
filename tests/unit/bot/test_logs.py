import logging
import sys

import pytest

from bot.logs import MaskingFormatter, mask


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lead budi@maju.co.id replied", "lead b***@maju.co.id replied"),
        ("phone +6281234567890 saved", "phone +628*******890 saved"),
        ("call 0812-3456-7890 now", "call 081******890 now"),
        (
            "POST /bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage",
            "POST /bot<token>/sendMessage",
        ),
        ("update 12345 processed in 3 ms", "update 12345 processed in 3 ms"),
    ],
)
def test_logs_mask_contact_details_and_tokens(text: str, expected: str) -> None:
    assert mask(text) == expected


def test_formatter_masks_arguments_and_the_traceback() -> None:
    record = logging.LogRecord(
        "qualibot.test", logging.ERROR, __file__, 1, "lead %s", ("L1",), None
    )
    try:
        raise ValueError("could not store sari@gmail.com for +6281234567890")
    except ValueError:
        record.exc_info = sys.exc_info()

    line = MaskingFormatter("%(message)s").format(record)

    assert line.startswith("lead L1\nTraceback")
    assert "sari@gmail.com" not in line
    assert "6281234567890" not in line
    assert "ValueError: could not store s***@gmail.com for +628*******890" in line


@pytest.mark.parametrize(
    "error",
    [
        # asyncpg quotes the value it could not encode
        "invalid input for query argument $3: 'Rudi rudi@maju.id' (value too long)",
        # SQLAlchemy's statement errors, had the engine not hidden them
        "[SQL: INSERT INTO leads VALUES ($1)]\n[parameters: ('Rudi', 'rudi@maju.id')]",
    ],
)
def test_statement_values_in_driver_errors_are_hidden(error: str) -> None:
    masked = mask(error)

    assert "Rudi" not in masked
    assert "rudi" not in masked
