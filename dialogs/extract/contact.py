"""Contact details in free text: email addresses and phone numbers (E.164, +62 for Indonesia)."""

import re
from typing import Final

from dialogs.slots import Email, Phone

EMAIL_RE: Final = re.compile(
    r"(?<![\w.+-])[a-z0-9](?:[a-z0-9._%+-]*[a-z0-9_])?@(?:[a-z0-9-]+\.)+[a-z]{2,24}(?![\w-])",
    re.IGNORECASE,
)
# Digits with the separators people type between groups; validated after stripping them.
PHONE_RE: Final = re.compile(r"(?<![\w+.,/])(?:\+|00)?\(?\d[\d\s().-]{6,20}\d(?![\w])")
_DIGIT: Final = re.compile(r"\d")  # the same digits as PHONE_RE's \d

# Second-level labels of free mailbox providers: an address there is not a company address.
PERSONAL_PROVIDERS: Final = frozenset(
    {
        "gmail",
        "googlemail",
        "yahoo",
        "ymail",
        "rocketmail",
        "hotmail",
        "outlook",
        "live",
        "msn",
        "icloud",
        "aol",
        "protonmail",
        "proton",
        "gmx",
        "mail",
    }
)
_PERSONAL_EXACT: Final = frozenset({"me.com", "mac.com", "yandex.com", "zoho.com"})


def is_personal_email(address: str) -> bool:
    """Whether an address belongs to a free mailbox provider (gmail, yahoo.co.id ...)."""
    domain = address.rsplit("@", 1)[-1].casefold()
    if domain in _PERSONAL_EXACT:
        return True
    return domain.split(".", 1)[0] in PERSONAL_PROVIDERS


# "budi[at]maju.com", "budi (at) maju (dot) com": addresses written to dodge scrapers
_OBFUSCATED_AT: Final = re.compile(r"\s*[\[({]\s*at\s*[\])}]\s*", re.IGNORECASE)
_OBFUSCATED_DOT: Final = re.compile(r"\s*[\[({]\s*dot\s*[\])}]\s*", re.IGNORECASE)


def extract_email(text: str) -> Email | None:
    """The first email address in `text`, lower-cased, with its personal-domain flag."""
    if "@" not in text and "[" not in text and "(" not in text and "{" not in text:
        return None  # EMAIL_RE needs an "@", and only a bracketed "at" can make one
    text = _OBFUSCATED_DOT.sub(".", _OBFUSCATED_AT.sub("@", text))
    found = EMAIL_RE.search(text)
    if found is None:
        return None
    address = found.group(0).casefold()
    return Email(address=address, personal=is_personal_email(address))


def normalize_phone(raw: str) -> str | None:
    """E.164 for a typed number, or None when it cannot be a phone number.

    Indonesian mobiles and landlines become +62 (08xx, 628xx, +62 8xx, 021-...);
    other numbers written with + or 00 keep their country code.
    """
    stripped = raw.strip()
    international = stripped.startswith(("+", "00"))
    digits = re.sub(r"\D", "", stripped)
    if stripped.startswith("00"):
        digits = digits[2:]
    if international or digits.startswith("62"):
        if digits.startswith("620"):
            digits = "62" + digits[3:]  # "+62 (0)812..." keeps a trunk zero by habit
        if digits.startswith("62"):
            # Without "+", "62..." is only a number when a mobile prefix follows
            # ("6281..."); otherwise "6.200.000.000" (6,2 miliar) would read as a phone.
            plausible = digits[2:3] == "8" or (international and digits[2:3] not in ("", "0"))
            return "+" + digits if plausible and 10 <= len(digits) <= 15 else None
        return "+" + digits if international and 8 <= len(digits) <= 15 else None
    if digits.startswith("08") and 10 <= len(digits) <= 13:
        return "+62" + digits[1:]
    # Landlines: 0 + area code (021, 0274 ...); mobiles were handled above.
    if digits.startswith("0") and digits[1] != "0" and 9 <= len(digits) <= 12:
        return "+62" + digits[1:]
    return None


def phone_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, E.164) for every phone number in `text`; money parsing skips these."""
    if _DIGIT.search(text) is None:
        return []  # every phone number has digits
    spans = []
    for found in PHONE_RE.finditer(text):
        number = normalize_phone(found.group(0))
        if number is not None:
            spans.append((found.start(), found.end(), number))
    return spans


def extract_phone(text: str) -> Phone | None:
    """The first phone number in `text`, in E.164."""
    for _, _, number in phone_spans(text):
        return Phone(number=number)
    return None
