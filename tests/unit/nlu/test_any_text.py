"""Reply understanding never raises, whatever the text: at worst it finds nothing."""

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialogs.extract import Expecting, extract_all

NOW = datetime(2026, 5, 13, 3, 0, tzinfo=UTC)
ASKED: list[Expecting] = [None, "money", "timeline", "role", "need", "name", "company", "text"]


@given(
    text=st.text(st.characters(exclude_categories=["Cs"]), max_size=4000),
    expecting=st.sampled_from(ASKED),
)
@settings(max_examples=150, deadline=None)
def test_any_text_is_read_without_raising(text: str, expecting: Expecting) -> None:
    found = extract_all(text, now=NOW, expecting=expecting)

    assert isinstance(found.to_json(), dict)


@pytest.mark.parametrize(
    "text",
    [
        "",
        " \n\t ",
        "🙏🙏🙏😂",
        "x" * 4000,
        "مرحبا، أريد معرفة السعر",  # right to left
        "bu\u200bdget\u200d 50\u200cjt",  # zero-width characters inside words
        "预算 50jt, Q3 開始, saya owner",  # mixed scripts
        "\u202ebudget 50jt\u202c",  # a right-to-left override
        "💰" * 2000,
        "maksudnya Budi",  # a correction with nothing before it
        "eh typo, hendra liem maksudnya",
        "ralat",
        "Dr. . .",
    ],
)
def test_odd_texts_are_read_without_raising(text: str) -> None:
    for expecting in ASKED:
        extract_all(text, now=NOW, expecting=expecting)
