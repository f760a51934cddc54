"""Names and companies: "saya Rudi Hartono dari CV Makmur Jaya Abadi" is a name and a company.

A person's name is read after a self-introduction ("saya X", "nama saya X", "dengan X",
"I'm X", "panggil aja X"), before "di sini" / "here", or, when the name was just asked, as the
whole reply. A company is read at its legal or business form (PT, CV, Toko, Klinik ...,
or Tbk, Ltd, Sdn Bhd at the end), after "dari" / "di" / "from" / "at", or, when the company was
just asked, as the whole reply. The words live in names.yaml.

Never stored as either: a filler or a yes/no word ("oke", "hmm gimana ya"), a question, a
sentence (a word that is no name, such as "mau" or "owner", inside the candidate), or an
intent the classifiers read (the caller drops those). A reading carries its confidence: an
introduced name is surer than a bare one, a capitalised bare one surer than a lower-case one.
"""

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import yaml

from dialogs.slots import CompanyName, PersonName

MAX_NAME_WORDS: Final = 4
MAX_COMPANY_WORDS: Final = 7
INTRODUCED: Final = 0.9  # "nama saya Rudi", "Rudi di sini"
BARE_CAPITALISED: Final = 0.85  # "Rudi Hartono" when the name was asked
BARE_LOWER: Final = 0.7  # "rudi"
COMPANY_FORM: Final = 0.9  # "PT Maju Jaya" anywhere
COMPANY_CUE: Final = 0.75  # "dari Maju Jaya"
COMPANY_BARE: Final = 0.8  # "Maju Jaya" when the company was asked

# A word of a name: letters (any script), inner apostrophes, hyphens and dots ("Siti", "O'Neil",
# "Abdul-Aziz", "A."). Company words may also carry digits and & ("Sinar 88", "A&W").
_WORD: Final = re.compile(r"[^\W\d_](?:[\w'’.-]*[^\W_])?\.?", re.UNICODE)
_COMPANY_WORD: Final = re.compile(r"[\w&'’.+-]+", re.UNICODE)
_INTRO: Final = re.compile(
    r"(?:^|\b)(?:nama\s+(?:saya|sy|aku|ku|gue|gw|lengkap\s+saya)|namaku|nama\s*:|"
    r"my\s+name\s+is|my\s+name's|name\s*:|name\s+is|perkenalkan(?:\s+(?:nama\s+)?saya)?|"
    r"kenalin(?:\s+(?:nama\s+)?saya)?|panggil\s+(?:saja|aja|sy|saya)?|"
    r"saya|sy|aku|gue|gw|i\s+am|i'm|im|this\s+is|it's|dengan|dgn|with|ini)"
    r"\s*(?:adalah|ialah|:)?\s+",
    re.IGNORECASE,
)
_HERE: Final = re.compile(r"\s+(?:di\s*sini|here|speaking)\b", re.IGNORECASE)
_COMPANY_CUE: Final = re.compile(
    r"(?:^|\b)(?:dari|dr|from|at|di|kerja\s+di|bekerja\s+di|perusahaan(?:\s+(?:saya|kami))?|"
    r"company|kantor(?:\s+(?:saya|kami))?|usaha(?:\s+(?:saya|kami))?|"
    r"owner(?:\s+(?:dari|of))?|pemilik|founder(?:\s+(?:dari|of))?)\s+",
    re.IGNORECASE,
)
_CLAUSE_END: Final = re.compile(r"[,;:!?()\n/|]|\s[-–—]\s|\.(?:\s|$)")


@dataclass(frozen=True, slots=True)
class _Words:
    honorifics: dict[str, str]
    prefixes: dict[str, str]
    suffixes: dict[str, str]
    junk: frozenset[str]
    name_ends: frozenset[str]
    company_ends: frozenset[str]
    not_names: frozenset[str]


@cache
def _words() -> _Words:
    raw = yaml.safe_load(
        resources.files("dialogs.extract").joinpath("names.yaml").read_text(encoding="utf-8")
    )
    return _Words(
        honorifics=dict(raw["honorifics"]),
        prefixes=dict(raw["company_prefixes"]),
        suffixes=dict(raw["company_suffixes"]),
        junk=frozenset(raw["junk"]),
        name_ends=frozenset(raw["name_ends"]),
        company_ends=frozenset(raw["company_ends"]),
        not_names=frozenset(raw["not_names"]),
    )


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s'’&.-]", " ", text.casefold()).split()).strip(" .")


def is_junk(text: str) -> bool:
    """A filler, a yes/no word, a non-answer, or nothing but symbols."""
    key = _key(text)
    return not key or key in _words().junk or not any(ch.isalpha() for ch in key)


def _display(words: list[str]) -> str:
    """Words as stored: as typed, or in title case when typed all in lower case."""
    text = " ".join(words).strip(" .")
    if text == text.casefold():
        return " ".join(w[:1].upper() + w[1:] for w in text.split())
    return text


# --- names --------------------------------------------------------------------------------


def _name_words(text: str) -> tuple[list[str], str | None]:
    """The name words at the start of `text` (up to a clause end or a word that ends names),
    and the form of address before them."""
    words = _words()
    clause = _CLAUSE_END.split(text, maxsplit=1)[0]
    honorific: str | None = None
    out: list[str] = []
    for match in _WORD.finditer(clause):
        word = match.group(0)
        key = word.casefold().rstrip(".")
        if not out and honorific is None and key in words.honorifics:
            honorific = words.honorifics[key]
            continue
        if key in words.name_ends or (out and key in words.honorifics):
            break
        out.append(word)
        if len(out) > MAX_NAME_WORDS:
            return [], honorific
    return out, honorific


def _is_name(words: list[str]) -> bool:
    lexicon = _words()
    if not words or len(words) > MAX_NAME_WORDS:
        return False
    keys = [w.casefold().rstrip(".") for w in words]
    if any(k in lexicon.not_names or k in lexicon.junk for k in keys):
        return False
    if any(k in lexicon.prefixes or k in lexicon.suffixes for k in keys):
        return False  # "PT Maju" is a company
    return sum(len(k) for k in keys) >= 2


def name_in(text: str, *, asked: bool = False) -> PersonName | None:
    """The prospect's name in `text`, if they gave it (or, when `asked`, if the reply is one)."""
    text = " ".join(text.split())
    if is_junk(text) or (asked and "?" in text and not _INTRO.search(text)):
        return None
    for intro in _INTRO.finditer(text):
        words, honorific = _name_words(text[intro.end() :])
        if _is_name(words):
            return PersonName(value=_display(words), honorific=honorific, confidence=INTRODUCED)
    here = _HERE.search(text)
    if here is not None:
        words, honorific = _name_words(_last_clause(text[: here.start()]))
        if _is_name(words):
            return PersonName(value=_display(words), honorific=honorific, confidence=INTRODUCED)
    if not asked:
        return None
    words, honorific = _name_words(text)
    rest = text.casefold()
    if not _is_name(words) or _says_more(rest, words):
        return None
    capitalised = all(w[:1].isupper() for w in words)
    return PersonName(
        value=_display(words),
        honorific=honorific,
        confidence=BARE_CAPITALISED if capitalised or honorific else BARE_LOWER,
    )


def _last_clause(text: str) -> str:
    parts = _CLAUSE_END.split(text)
    return parts[-1].strip() if parts else text


def _says_more(text: str, words: list[str]) -> bool:
    """Whether a bare reply goes on past the name into a sentence (not a company after it)."""
    lexicon = _words()
    rest = [w.casefold() for w in _WORD.findall(text)]
    taken = {w.casefold() for w in words} | set(lexicon.honorifics) | lexicon.name_ends
    extra = [w for w in rest if w not in taken]
    return len(extra) > 0 and company_in(text, asked=False) is None and len(extra) > 2


# --- companies ----------------------------------------------------------------------------


def _company_after(text: str, start: int, form: str | None) -> list[str]:
    """Company words from `start` to the end of the clause (at most MAX_COMPANY_WORDS)."""
    ends = _words().company_ends
    clause = _CLAUSE_END.split(text[start:], maxsplit=1)[0]
    out = [form] if form else []
    for match in _COMPANY_WORD.finditer(clause):
        word = match.group(0)
        if word.casefold().strip(".") in ends:
            break
        out.append(word)
        if len(out) >= MAX_COMPANY_WORDS:
            break
    return out


def _company_with_form(text: str) -> list[str] | None:
    lexicon = _words()
    tokens = list(_COMPANY_WORD.finditer(text))
    keys = [t.group(0).casefold().strip(".") for t in tokens]
    for n, key in enumerate(keys):
        two = f"{key} {keys[n + 1]}" if n + 1 < len(keys) else ""
        if two in lexicon.prefixes or key in lexicon.prefixes:
            form = lexicon.prefixes[two] if two in lexicon.prefixes else lexicon.prefixes[key]
            skip = 2 if two in lexicon.prefixes else 1
            after = tokens[n + skip - 1].end()
            words = _company_after(text, after, form)
            if len(words) > 1 and words[1].casefold() not in lexicon.not_names:
                return words
        if two in lexicon.suffixes or (key in lexicon.suffixes and n > 0 and _strong(key)):
            form = lexicon.suffixes[two] if two in lexicon.suffixes else lexicon.suffixes[key]
            before = _company_before(tokens[:n])
            if before:
                return [*before, form]
    return None


def _strong(suffix: str) -> bool:
    # a legal form, not a word that often ends a name ("Indonesia", "Digital")
    return suffix in {"tbk", "inc", "ltd", "llc", "llp", "corp", "corporation", "gmbh", "plc"}


def _company_before(tokens: list[re.Match[str]]) -> list[str]:
    lexicon = _words()
    out: list[str] = []
    for match in reversed(tokens):
        word = match.group(0)
        key = word.casefold()
        if key in lexicon.not_names or key in lexicon.name_ends or len(out) >= 5:
            break
        out.insert(0, word)
    return out


def company_in(text: str, *, asked: bool = False) -> CompanyName | None:
    """The prospect's company in `text`, if they named it (or, when `asked`, if the reply is
    one)."""
    text = " ".join(text.split())
    if is_junk(text):
        return None
    with_form = _company_with_form(text)
    if with_form is not None:
        return CompanyName(value=_display_company(with_form), confidence=COMPANY_FORM)
    for cue in _COMPANY_CUE.finditer(text):
        words = _company_after(text, cue.end(), None)
        if _is_company(words):
            return CompanyName(value=_display_company(words), confidence=COMPANY_CUE)
    if not asked or "?" in text:
        return None
    words = _company_after(text, 0, None)
    if not _is_company(words) or len(_COMPANY_WORD.findall(text)) > len(words) + 2:
        return None
    return CompanyName(value=_display_company(words), confidence=COMPANY_BARE)


def _is_company(words: list[str]) -> bool:
    lexicon = _words()
    if not words or len(words) > MAX_COMPANY_WORDS:
        return False
    keys = [w.casefold().strip(".") for w in words]
    first = keys[0]
    if first in lexicon.not_names or first in lexicon.junk or first in lexicon.honorifics:
        return False
    if " ".join(keys) in lexicon.junk or any(k in lexicon.not_names for k in keys[1:2]):
        return False
    return any(ch.isalpha() for ch in "".join(keys))


def _display_company(words: list[str]) -> str:
    """As typed; all-lower-case words get capitals, legal forms keep their own spelling."""
    lexicon = _words()
    forms = {**lexicon.prefixes, **lexicon.suffixes}
    shown = []
    for word in words:
        key = word.casefold().strip(".")
        if key in forms and word == word.casefold():
            shown.append(forms[key])
        elif word == word.casefold() and not any(ch.isdigit() for ch in word):
            shown.append(word[:1].upper() + word[1:])
        else:
            shown.append(word)
    return " ".join(shown).strip(" .")
