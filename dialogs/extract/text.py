"""Text normalisation shared by the extractors: case, controls, chat spelling, number format."""

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Final

import yaml

from dialogs.extract.gate import trie
from dialogs.extract.numerals import spell_numbers

LEXICON: Final = "lexicon.yaml"


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The normaliser's data (lexicon.yaml), compiled."""

    words: dict[str, str]  # chat spelling -> the word it stands for
    words_re: re.Pattern[str]
    emoji: dict[str, str]
    emoji_re: re.Pattern[str] | None
    clitic_re: re.Pattern[str] | None
    topics: dict[str, re.Pattern[str]]


@cache
def lexicon() -> Lexicon:
    """lexicon.yaml, read once per process like a constant."""
    raw = yaml.safe_load(
        resources.files("dialogs.extract").joinpath(LEXICON).read_text(encoding="utf-8")
    )
    words = {str(k): str(v) for k, v in raw["words"].items()}
    emoji = {str(k).casefold(): str(v) for k, v in raw.get("emoji", {}).items()}
    stems = [str(stem) for stem in raw.get("clitic_stems", [])]
    return Lexicon(
        words=words,
        # The words as a trie: the same matches as the alternation sorted longest first.
        words_re=re.compile(r"(?<![\w@.])(" + trie(words) + r")(?![\w@])"),
        emoji=emoji,
        emoji_re=(
            re.compile("|".join(re.escape(k) for k in sorted(emoji, key=len, reverse=True)))
            if emoji
            else None
        ),
        clitic_re=(
            re.compile(r"\b(" + "|".join(map(re.escape, stems)) + r")(nya|ku|mu)\b")
            if stems
            else None
        ),
        topics={
            name: re.compile(r"\b(?:" + "|".join(map(re.escape, sorted(cues))) + r")")
            for name, cues in raw.get("topics", {}).items()
        },
    )


def mentions(norm: str, topic: str) -> bool:
    """Whether a normalised message says a word of `topic` (lexicon.yaml, "topics")."""
    return lexicon().topics[topic].search(norm) is not None


# Indonesian repeats words with a digit: "kira2" = "kira-kira", "liat2" = "liat-liat".
_REDUP: Final = re.compile(r"\b([a-z]{3,})2\b")
# "bangettt", "pleaseee": three or more of one letter are one.
_ELONGATED: Final = re.compile(r"([a-z])\1{2,}")


def _drop_controls(text: str) -> str:
    # Controls become spaces (a tab or newline separates words); format characters such as
    # zero-width joiners inside emoji are dropped.
    if text.isprintable():
        return text  # controls (Cc) and format characters (Cf) are all non-printable
    table: dict[int, str | None] = {}
    for ch in set(text):
        cat = unicodedata.category(ch)
        if cat == "Cc":
            table[ord(ch)] = " "
        elif cat == "Cf":
            table[ord(ch)] = None
    return text.translate(table)


def normalize(text: str) -> str:
    """Casefold, strip control characters, collapse whitespace, and spell chat the way the
    grammars and classifiers read it (lexicon.yaml): emoji, elongation, reduplication,
    clitics on a few words, chat abbreviations; numbers in words as numerals."""
    words = lexicon()
    folded = _drop_controls(unicodedata.normalize("NFKC", text)).casefold()
    if words.emoji_re is not None:
        folded = words.emoji_re.sub(lambda m: f" {words.emoji[m.group(0)]} ", folded)
    folded = _ELONGATED.sub(r"\1", folded)
    if "2" in folded:  # _REDUP needs its "2"
        folded = _REDUP.sub(r"\1-\1", folded)
    if words.clitic_re is not None:
        folded = words.clitic_re.sub(r"\1 \2", folded)
    folded = words.words_re.sub(lambda m: words.words[m.group(1)], folded)
    folded = spell_numbers(folded)
    # str.split() splits on runs of the same whitespace as `\s+` and drops both ends:
    # the same as re.sub(r"\s+", " ", folded).strip(), several times faster
    return " ".join(folded.split())


# A written number: "1.250.000", "1,250,000", "1,5", "1.5", "50".
NUMBER: Final = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?"
_NUMBER_RE: Final = re.compile(NUMBER)


def read_number(token: str, *, unit_follows: bool = False) -> tuple[Decimal, bool] | None:
    """Read one written number; also say whether it used an English decimal point.

    Indonesian writes `.` for thousands and `,` for decimals; English the other way round.
    A single group of three after the separator ("1.250", "1,250") is read as thousands,
    except that a comma before a unit ("1,250 jt") stays a decimal, as Indonesians write it.
    """
    token = token.strip()
    if not _NUMBER_RE.fullmatch(token):
        return None
    dot_decimal = False
    if token.count(".") > 1 or (
        token.count(".") == 1 and "," in token and token.index(".") < token.index(",")
    ):
        cleaned = token.replace(".", "").replace(",", ".")
    elif token.count(",") > 1 or ("," in token and "." in token):
        cleaned = token.replace(",", "")
        dot_decimal = "." in cleaned
    elif "." in token:
        head, tail = token.split(".")
        if len(tail) == 3 and head != "0":
            cleaned = head + tail
        else:
            cleaned = token
            dot_decimal = True
    elif "," in token:
        head, tail = token.split(",")
        cleaned = (
            head + tail
            if len(tail) == 3 and head != "0" and not unit_follows
            else f"{head}.{tail}"
        )
    else:
        cleaned = token
    try:
        return Decimal(cleaned), dot_decimal
    except InvalidOperation:  # pragma: no cover - the regex admits only digits and separators
        return None


WORD_NUMBERS: Final[dict[str, int]] = {
    "nol": 0,
    "satu": 1,
    "se": 1,
    "dua": 2,
    "tiga": 3,
    "empat": 4,
    "lima": 5,
    "enam": 6,
    "tujuh": 7,
    "delapan": 8,
    "sembilan": 9,
    "sepuluh": 10,
    "sebelas": 11,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "a": 1,
    "an": 1,
}
