"""Graph errors become ChannelError with the right retry advice; the 24-hour window."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.channels.whatsapp_sender import mask, translate_error, within_window

PAYLOADS = Path(__file__).parents[2] / "payloads" / "whatsapp"
NOW = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def error_body(code: int) -> bytes:
    return b'{"error": {"message": "(#%d) x", "type": "OAuthException", "code": %d}}' % (
        code,
        code,
    )


def test_documented_throughput_error_is_retryable_after_a_pause() -> None:
    error = translate_error(400, (PAYLOADS / "error_130429_throughput.json").read_bytes())

    assert (error.code, error.permanent, error.retry_after) == ("130429", False, 10.0)
    assert "Cloud API message throughput has been reached" in str(error)


def test_documented_pair_rate_limit_is_retryable() -> None:
    error = translate_error(400, (PAYLOADS / "error_131056_pair_rate_limit.json").read_bytes())

    assert (error.code, error.permanent) == ("131056", False)
    assert error.retry_after is not None


def test_documented_reengagement_error_is_permanent_with_its_code() -> None:
    error = translate_error(400, (PAYLOADS / "error_131047_reengagement_sync.json").read_bytes())

    assert (error.code, error.permanent, error.retry_after) == ("131047", True, None)
    assert error.channel == "whatsapp"


@pytest.mark.parametrize(
    ("status", "code", "permanent", "retry_after"),
    [
        (401, 190, True, None),
        (400, 131026, True, None),
        (400, 100, True, None),
        (400, 131009, True, None),
        (400, 132001, True, None),
        (400, 131062, True, None),
        (400, 80007, False, 60.0),
        (400, 4, False, 60.0),
        (400, 131049, False, 86400.0),
        (400, 131000, False, None),
        (503, 131016, False, None),
        (400, 131057, False, None),
    ],
)
def test_graph_codes_map_to_retry_advice(
    status: int, code: int, permanent: bool, retry_after: float | None
) -> None:
    error = translate_error(status, error_body(code))

    assert (error.code, error.permanent, error.retry_after) == (str(code), permanent, retry_after)


def test_http_429_without_a_code_honours_retry_after() -> None:
    error = translate_error(429, b"Too Many Requests", retry_after_header="7")

    assert (error.code, error.permanent, error.retry_after) == ("http_429", False, 7.0)


def test_5xx_html_page_is_retryable_without_advice() -> None:
    error = translate_error(502, b"<html>Bad Gateway</html>")

    assert (error.code, error.permanent, error.retry_after) == ("http_502", False, None)


def test_within_window_just_before_24_hours() -> None:
    assert within_window(NOW - timedelta(hours=23, minutes=59), NOW)


def test_outside_window_at_24_hours() -> None:
    assert not within_window(NOW - timedelta(hours=24), NOW)


def test_no_inbound_message_means_no_window() -> None:
    assert not within_window(None, NOW)


def test_mask_keeps_phone_numbers_out_of_logs() -> None:
    assert mask("+6281234567890") == "+628…90"
