"""X-Hub-Signature-256: HMAC-SHA256 of the raw body with the app secret, constant-time compare."""

from pathlib import Path

import pytest

from bot.channels.whatsapp import verify_signature
from bot.errors import ForgedRequest

PAYLOADS = Path(__file__).parents[2] / "payloads" / "whatsapp"
SECRET = "test_app_secret"
# Test vectors from CHANNELS.md B2 (computed independently of this code).
TEXT_MESSAGE_SIGNATURE = "sha256=1c041e1c07f50386213ac582d2e17d24d70f1ed42949a6e5a5607057b805b5fc"
EMPTY_ENTRY = b'{"object":"whatsapp_business_account","entry":[]}'
EMPTY_ENTRY_SIGNATURE = "sha256=dec6a680679a968e7e0319355b23599cbfc54502c0784668e9618baa0c633756"


def test_documented_vector_over_the_raw_file_bytes_is_accepted() -> None:
    raw = (PAYLOADS / "text_message.json").read_bytes()

    verify_signature(raw, TEXT_MESSAGE_SIGNATURE, SECRET)


def test_documented_vector_over_a_compact_body_is_accepted() -> None:
    verify_signature(EMPTY_ENTRY, EMPTY_ENTRY_SIGNATURE, SECRET)


def test_reserialised_body_does_not_match_the_signature() -> None:
    raw = (PAYLOADS / "text_message.json").read_bytes()
    compact = raw.replace(b"\n", b"").replace(b"  ", b"")

    with pytest.raises(ForgedRequest):
        verify_signature(compact, TEXT_MESSAGE_SIGNATURE, SECRET)


def test_wrong_secret_is_forged() -> None:
    with pytest.raises(ForgedRequest):
        verify_signature(EMPTY_ENTRY, EMPTY_ENTRY_SIGNATURE, "another_secret")


def test_missing_header_is_forged() -> None:
    with pytest.raises(ForgedRequest):
        verify_signature(EMPTY_ENTRY, None, SECRET)


@pytest.mark.parametrize(
    "header",
    [
        EMPTY_ENTRY_SIGNATURE.removeprefix("sha256="),  # no prefix
        "sha1=" + EMPTY_ENTRY_SIGNATURE.removeprefix("sha256="),  # the old X-Hub-Signature
        EMPTY_ENTRY_SIGNATURE.upper(),
        EMPTY_ENTRY_SIGNATURE + "00",
        "",
        "sha256=ü",  # non-ASCII must not crash compare_digest
    ],
    ids=["no-prefix", "sha1-prefix", "uppercase", "too-long", "empty", "non-ascii"],
)
def test_malformed_header_is_forged(header: str) -> None:
    with pytest.raises(ForgedRequest):
        verify_signature(EMPTY_ENTRY, header, SECRET)
