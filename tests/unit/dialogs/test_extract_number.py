"""Plain quantities: digits in both number formats, rb/k, words and ranges."""

import pytest

from dialogs.extract import parse_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("50 orang", 50.0),
        ("sekitar 200 karyawan", 200.0),
        ("1.250", 1250.0),
        ("1,250", 1250.0),
        ("2,5rb", 2500.0),
        ("2.5k", 2500.0),
        ("1,5", 1.5),
        ("lima", 5.0),
        ("lima puluh", 50.0),
        ("seratus", 100.0),
        ("dua belas", 12.0),
        ("50-100 orang", 75.0),
        ("sekitar 120an", 120.0),
    ],
)
def test_quantity(text: str, value: float) -> None:
    assert parse_number(text) == value


def test_no_number() -> None:
    assert parse_number("banyak sih") is None
