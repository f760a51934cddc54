"""Numbers written in words, as numerals: "dua ratus lima puluh ribu" -> "250 ribu".

The normaliser runs this, so every grammar reads one way of writing a number. A run of number
words becomes one numeral, followed by its largest scale word ("seratus dua puluh lima juta"
-> "125 juta", "sejuta setengah" -> "1,5 juta", "two and a half million" -> "2,5 juta"; a
decimal comma, as Indonesian writes it). A run of one small word ("dua", "one") is left as
it is: "dua bulan lagi" and "one time" read better as words, and nothing gains from a digit.

Indonesian: satuan, belas, puluh, ratus, ribu, juta, miliar, triliun, the se- forms (sepuluh,
seratus, sejuta ...), setengah / seperempat (a half after a scale word adds half of it:
"sejuta setengah"); the Javanese and Sundanese "sak" / "sa" before a scale word, and "sajuta".
English: one to nineteen, the tens, hundred, thousand, million, billion, "a" before a scale
word, "and", "half" ("half a million", "two and a half million").
"""

import re
from decimal import Decimal
from typing import Final

_SMALL: Final[dict[str, int]] = {
    "nol": 0, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
    "delapan": 8, "sembilan": 9, "sepuluh": 10, "sebelas": 11,
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_HUNDRED: Final = frozenset({"ratus", "hundred"})
_SCALES: Final[dict[str, tuple[int, str]]] = {
    "ribu": (10**3, "ribu"),
    "thousand": (10**3, "ribu"),
    "juta": (10**6, "juta"),
    "million": (10**6, "juta"),
    "miliar": (10**9, "miliar"),
    "milyar": (10**9, "miliar"),
    "billion": (10**9, "miliar"),
    "triliun": (10**12, "triliun"),
    "trillion": (10**12, "triliun"),
}
# se- forms of the scales and hundreds: one of them
_SE: Final[dict[str, str]] = {
    "seratus": "ratus",
    "seribu": "ribu",
    "sejuta": "juta",
    "sajuta": "juta",
    "semiliar": "miliar",
    "semilyar": "miliar",
}
_FRACTIONS: Final[dict[str, Decimal]] = {
    "setengah": Decimal("0.5"),
    "stengah": Decimal("0.5"),
    "setengh": Decimal("0.5"),
    "half": Decimal("0.5"),
    "seperempat": Decimal("0.25"),
    "quarter": Decimal("0.25"),
}
_ONE: Final = frozenset({"se", "sak", "sa", "a", "an"})  # "one" only right before a scale
_GLUE: Final = frozenset({"and", "dan"})  # inside a number only between number words
_WORDS: Final = frozenset(
    {*_SMALL, *_HUNDRED, *_SCALES, *_SE, *_FRACTIONS, *_ONE, *_GLUE, "belas", "puluh"}
)
_TOKEN: Final = re.compile(r"[a-z]+(?:-[a-z]+)*")


def _words_of(token: str) -> list[str]:
    return token.split("-")  # "twenty-five"


def _value(words: list[str]) -> tuple[Decimal, str | None] | None:
    """The value of a run of number words and its largest scale word, or None.

    `group` collects the part under a thousand ("dua ratus lima puluh"), `pending` the last
    small number not yet placed ("lima" before "puluh"); a scale word moves both into `total`.
    """
    total = Decimal(0)
    group = Decimal(0)
    pending = Decimal(0)
    largest: tuple[int, str] | None = None
    last_scale = 0
    seen_number = False
    for n, word in enumerate(words):
        following = words[n + 1] if n + 1 < len(words) else ""
        previous = words[n - 1] if n else ""
        if word in _GLUE:
            continue
        if word in _ONE:
            if previous in _FRACTIONS or following in _FRACTIONS:
                continue  # "half a million", "two and a half": the half is the number
            if following not in _SCALES and following not in _HUNDRED:
                return None
            pending += 1
        elif word in _SMALL:
            pending += _SMALL[word]
        elif word == "belas":
            group += 10 + pending
            pending = Decimal(0)
        elif word == "puluh":
            group += (pending or 1) * 10
            pending = Decimal(0)
        elif word in _HUNDRED or _SE.get(word) == "ratus":
            group += 100 if word in _SE else (pending or 1) * 100
            pending = Decimal(0)
        elif word in _SCALES or word in _SE:
            scale, shown = _SCALES[_SE.get(word, word)]
            amount = group + pending + (1 if word in _SE else 0)
            total += (amount or 1) * scale
            group = pending = Decimal(0)
            last_scale = scale
            if largest is None or scale > largest[0]:
                largest = (scale, shown)
        elif word in _FRACTIONS:
            fraction = _FRACTIONS[word]
            if last_scale and group == 0 and pending == 0 and previous in {*_SCALES, *_SE}:
                total += fraction * last_scale  # "sejuta setengah"
            else:
                pending += fraction  # "dua setengah juta", "setengah juta", "half a million"
        else:
            return None
        seen_number = True
    if not seen_number:
        return None
    return total + group + pending, (largest[1] if largest else None)


def _numeral(value: Decimal, unit: str | None) -> str:
    if unit is not None:
        value = value / _SCALES[unit][0]
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".").replace(".", ",")
    return text if unit is None else f"{text} {unit}"


def _worth_spelling(words: list[str]) -> bool:
    meaningful = [w for w in words if w not in _GLUE and w not in _ONE]
    if len(meaningful) >= 2:
        return True
    return bool(meaningful) and (meaningful[0] in _SE or meaningful[0] == "sepuluh")


def spell_numbers(norm: str) -> str:
    """`norm` with every run of number words written as a numeral (see the module doc)."""
    tokens = list(_TOKEN.finditer(norm))
    if not any(t.group(0).split("-")[0] in _WORDS for t in tokens):
        return norm
    out: list[str] = []
    cursor = 0
    n = 0
    while n < len(tokens):
        token = tokens[n]
        if not all(w in _WORDS for w in _words_of(token.group(0))) or token.group(0) in _GLUE:
            n += 1
            continue
        run_end = n
        while (
            run_end + 1 < len(tokens)
            and norm[tokens[run_end].end() : tokens[run_end + 1].start()].strip() == ""
            and all(w in _WORDS for w in _words_of(tokens[run_end + 1].group(0)))
        ):
            run_end += 1
        while run_end > n and tokens[run_end].group(0) in _GLUE | _ONE:
            run_end -= 1  # "... and", "... a" close no number
        words = [w for t in tokens[n : run_end + 1] for w in _words_of(t.group(0))]
        read = _value(words) if _worth_spelling(words) else None
        if read is not None:
            out.append(norm[cursor : token.start()])
            out.append(_numeral(*read))
            cursor = tokens[run_end].end()
        n = run_end + 1
    out.append(norm[cursor:])
    return "".join(out)
