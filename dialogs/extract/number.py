"""Plain quantities in replies: "50 orang", "sekitar 200 karyawan", "1.250", "2,5rb"."""

import re
from decimal import Decimal
from typing import Final

from dialogs.extract.text import NUMBER, WORD_NUMBERS, normalize, read_number

_SCALES: Final[dict[str, int]] = {
    "rb": 10**3,
    "ribu": 10**3,
    "k": 10**3,
    "jt": 10**6,
    "juta": 10**6,
    "m": 10**6,  # "2m users" reads as millions for counts; money has its own rules
    "million": 10**6,
}
_NUMBER_RE: Final = re.compile(
    rf"(?<![\w.,])(?P<num>{NUMBER})\s?(?P<scale>ribu|rb|juta|jt|million|k|m)?(?:-?an)?(?![a-z\d])"
    rf"(?:\s*(?:-|–|s/d|sampai|hingga|to|atau|or)\s*(?P<num2>{NUMBER})\s?"
    r"(?P<scale2>ribu|rb|juta|jt|million|k|m)?(?:-?an)?(?![a-z\d]))?"
)
_WORDS_RE: Final = re.compile(
    r"\b(?P<digit>se|satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan)\s?"
    r"(?P<scale>puluh|ratus|ribu|belas)\b|\b(?P<single>"
    + "|".join(w for w in WORD_NUMBERS if len(w) > 2)
    + r")\b"
)
_WORD_SCALE: Final[dict[str, int]] = {"puluh": 10, "ratus": 100, "ribu": 1000}


def _value(num: str, scale: str | None) -> Decimal | None:
    read = read_number(num, unit_follows=bool(scale))
    if read is None:
        return None
    return read[0] * _SCALES.get(scale or "", 1)


def number_in(norm: str) -> float | None:
    """The first quantity in already-normalised text; a range gives its midpoint."""
    found = _NUMBER_RE.search(norm)
    if found is not None:
        scale2 = found.group("scale2")
        first = _value(found.group("num"), found.group("scale") or scale2)
        if first is None:
            return None
        if found.group("num2"):
            second = _value(found.group("num2"), scale2 or found.group("scale"))
            if second is not None:
                return float((first + second) / 2)
        return float(first)
    words = _WORDS_RE.search(norm)
    if words is None:
        return None
    if words.group("single"):
        return float(WORD_NUMBERS[words.group("single")])
    digit = WORD_NUMBERS.get(words.group("digit"), 1)
    scale = words.group("scale")
    if scale == "belas":
        return float(10 + digit)
    return float(digit * _WORD_SCALE[scale])


def parse_number(text: str) -> float | None:
    """The quantity a reply states, or None: "sekitar 200 karyawan" -> 200.0."""
    return number_in(normalize(text))
