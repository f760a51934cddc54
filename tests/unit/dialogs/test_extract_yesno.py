"""Yes/no replies, slang and emoji included."""

import pytest

from dialogs.extract import parse_yesno


@pytest.mark.parametrize(
    "text",
    ["ya", "iya", "iyaa kak", "yup", "boleh", "ok", "oke", "okay", "siap", "gas", "yes", "sure",
     "Ya, boleh", "👍", "gapapa", "tidak apa-apa", "no problem"],
)  # fmt: skip
def test_yes(text: str) -> None:
    assert parse_yesno(text) is True


@pytest.mark.parametrize(
    "text",
    ["gak", "ga", "nggak", "enggak", "engga", "tidak", "tdk", "belum", "no", "nope", "jangan",
     "no thanks", "gak dulu deh", "Tidak, terima kasih"],
)  # fmt: skip
def test_no(text: str) -> None:
    assert parse_yesno(text) is False


@pytest.mark.parametrize("text", ["yang mana?", "hmm", "", "okta", "nanti saya cek"])
def test_neither(text: str) -> None:
    assert parse_yesno(text) is None
