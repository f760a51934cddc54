import logging

import pytest

from bot.logs import MaskingFilter, mask


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


def test_filter_masks_formatted_arguments(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("qualibot.test")
    logger.addFilter(MaskingFilter())

    with caplog.at_level(logging.INFO):
        logger.info("lead %s gave %s", "L1", "sari@gmail.com")

    assert caplog.messages == ["lead L1 gave s***@gmail.com"]
