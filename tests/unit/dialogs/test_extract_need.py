"""Need: level, use case, pain and quantities."""

import pytest

from dialogs.extract import extract_need
from dialogs.slots import NeedLevel


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("cuma liat-liat dulu", "none"),
        ("just browsing", "none"),
        ("tidak tertarik", "none"),
        ("lagi compare beberapa vendor", "high"),
        ("butuh banget", "high"),
        ("urgent", "high"),
        ("belum prioritas", "low"),
        ("lagi explore", "low"),
        ("kami butuh sistem baru", "medium"),
        ("looking for a CRM", "medium"),
    ],
)
def test_level_from_what_they_say(text: str, level: NeedLevel) -> None:
    need = extract_need(text)

    assert need is not None
    assert need.level == level


def test_not_urgent_is_not_a_high_need() -> None:
    need = extract_need("tidak urgent, tapi butuh")

    assert need is not None
    assert need.level == "medium"


def test_quantities_from_counted_nouns() -> None:
    need = extract_need("untuk 50 user di 3 cabang, 2rb pelanggan")

    assert need is not None
    assert need.quantities == {"users": 50, "branches": 3, "customers": 2000}


def test_pain_is_the_prospects_own_clause() -> None:
    need = extract_need("masalahnya follow up leads masih manual. tolong bantu")

    assert need is not None
    assert need.pain == "masalahnya follow up leads masih manual"


def test_first_named_use_case_wins() -> None:
    need = extract_need("butuh CRM untuk tim sales")

    assert need is not None
    assert need.use_case == "crm"


def test_needing_to_ask_the_boss_is_not_a_need() -> None:
    assert extract_need("perlu tanya atasan dulu") is None


def test_free_answer_to_the_need_question_is_the_use_case() -> None:
    need = extract_need("otomasi follow up reseller", expecting=True)

    assert need is not None
    assert (need.level, need.use_case) == ("medium", "otomasi follow up reseller")
