"""Email addresses (personal-domain flag) and phone numbers (E.164, +62)."""

import pytest

from dialogs.extract import extract_email, extract_phone, is_personal_email
from dialogs.slots import Email, Phone


def test_email_is_lowercased() -> None:
    assert extract_email("Email: Andi@PTMaju.co.id") == Email(address="andi@ptmaju.co.id")


@pytest.mark.parametrize(
    "address",
    [
        "a@gmail.com",
        "a@yahoo.co.id",
        "a@ymail.com",
        "a@hotmail.com",
        "a@outlook.com",
        "a@icloud.com",
    ],
)
def test_personal_domains_are_flagged(address: str) -> None:
    assert is_personal_email(address) is True


def test_company_domain_is_not_personal() -> None:
    assert is_personal_email("budi@majujaya.com") is False


def test_obfuscated_email() -> None:
    assert extract_email("budi [at] majujaya [dot] com") == Email(address="budi@majujaya.com")


def test_no_email() -> None:
    assert extract_email("saya budi dari maju jaya") is None


@pytest.mark.parametrize(
    "text",
    [
        "0812-3456-7890",
        "0812 3456 7890",
        "+62 812 3456 7890",
        "6281234567890",
        "+62 (0)812-3456-7890",
    ],
)
def test_indonesian_mobile_becomes_plus_62(text: str) -> None:
    assert extract_phone(text) == Phone(number="+6281234567890")


def test_jakarta_landline() -> None:
    assert extract_phone("021-5551234") == Phone(number="+62215551234")


def test_other_countries_keep_their_code() -> None:
    assert extract_phone("+65 9123 4567") == Phone(number="+6591234567")


@pytest.mark.parametrize(
    "text", ["Rp 10.000.000", "0812345", "30-06-2026", "budget 6.200.000.000"]
)
def test_numbers_that_are_not_phones(text: str) -> None:
    assert extract_phone(text) is None
