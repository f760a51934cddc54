"""Normalisation shared by the extractors."""

from decimal import Decimal

import pytest

from dialogs.extract import normalize
from dialogs.extract.text import read_number


def test_casefold_and_collapse_whitespace() -> None:
    assert normalize("  Halo\t\tKAK \n ") == "halo kak"


def test_control_characters_separate_words_and_format_characters_vanish() -> None:
    assert normalize("ya\x00sip\u200b!") == "ya sip!"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sy udh blm", "saya sudah belum"),
        ("yg tp bln", "yang tapi bulan"),
        ("gak ga nggak engga", "tidak tidak tidak tidak"),
        ("kira2", "kira-kira"),
        ("liat2", "lihat-lihat"),
    ],
)
def test_slang_is_expanded(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_units_and_emails_are_left_alone() -> None:
    assert normalize("50jt /bln sy@gmail.com") == "50jt /bulan sy@gmail.com"


@pytest.mark.parametrize(
    ("token", "value", "dot_decimal"),
    [
        ("1.250.000", Decimal(1250000), False),
        ("1,250,000", Decimal(1250000), False),
        ("1.250.000,50", Decimal("1250000.50"), False),
        ("1,5", Decimal("1.5"), False),
        ("1.5", Decimal("1.5"), True),
        ("1.250", Decimal(1250), False),
    ],
)
def test_read_number_in_both_formats(token: str, value: Decimal, dot_decimal: bool) -> None:
    assert read_number(token) == (value, dot_decimal)


def test_comma_before_a_unit_is_a_decimal() -> None:
    assert read_number("1,250", unit_follows=True) == (Decimal("1.250"), False)
