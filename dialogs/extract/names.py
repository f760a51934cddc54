"""Names and companies: "saya Rudi Hartono dari CV Makmur Jaya Abadi" is a name and a company.

A person's name is read after an introduction: anywhere after a clear one ("nama saya X",
"my name is X", "perkenalkan, saya X", "panggil aja X"), at the start of a clause after a
plain one ("saya X", "I'm X", "dengan X"), or before "di sini" / "here". Volunteered (the
name was not asked), a plain introduction counts only for a capitalised name or one after a
form of address ("saya Dewi", "dengan Bu Ratna"); "saya kepala operasional" is no name.
When the name was just asked, the first clause of the reply may be the name itself ("Budi
Santoso", "pak budi, dari PT Maju").

A company is read at its legal or business form (PT, CV, Toko, Klinik ... opening it, Tbk,
Ltd, Sdn Bhd closing it; a capitalised name around the form is kept whole: "The Kirana Resort
Ubud"), after "kerja di" / "work at", after "dari" / "from" in an introduction, after "nama
tokonya" / "agency gue namanya", or, when the company was just asked, as the first clause
of the reply.

Never stored as either: a filler or a yes/no word ("oke", "hmm gimana ya"), a question, or
words prospects use in sentences rather than in names (names.yaml, and the corpus's common
words: `common` is passed in by the caller from the classifiers' vocabulary). The caller also
drops bare readings of a reply that carries an intent ("STOP pls" is no company). A reading
carries its confidence: introduced or capitalised surer than bare and lower case.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

import yaml

from dialogs.slots import CompanyName, PersonName

MAX_NAME_WORDS: Final = 4
MAX_COMPANY_WORDS: Final = 6
INTRODUCED: Final = 0.9  # "nama saya Rudi", "Rudi di sini"
BARE_CAPITALISED: Final = 0.85  # "Rudi Hartono" when the name was asked
BARE_LOWER: Final = 0.7  # "rudi"
COMPANY_FORM: Final = 0.9  # "PT Maju Jaya" anywhere
COMPANY_CUE: Final = 0.8  # "kerja di Maju Jaya", "nama tokonya Maju Jaya"
COMPANY_BARE: Final = 0.8  # "Maju Jaya" when the company was asked
COMPANY_BARE_LOWER: Final = 0.7

Common = Callable[[str], bool]  # whether a (lower-case) word is one prospects use in sentences

_WORD: Final = re.compile(r"[^\W\d_](?:[\w'’.-]*[^\W_])?[.\u2024]?", re.UNICODE)
_COMPANY_WORD: Final = re.compile(r"&|[\w&'’+.-]*\w[\w&'’+-]*\.?", re.UNICODE)
_CONNECTORS: Final = frozenset({"&", "dan", "and", "of", "de", "van", "bin", "binti", "the"})
_STRONG_INTRO: Final = re.compile(
    r"\b(?:nama\s+(?:lengkap\s+)?(?:saya|sy|aku|ku|gue|gw)|namaku|nama\s*:|"
    r"my\s+name\s+is|my\s+name's|perkenalkan(?:,?\s+(?:nama\s+)?saya)?|"
    r"kenalin(?:,?\s+(?:nama\s+)?(?:saya|aku|gue|gw))?|"
    r"nma\s+(?:saya|sy|aku|gue)|nama\s+penuh|full\s+name|"
    r"(?:panggil|call\s+me)(?:\s+(?:saja|aja|ae|sy|saya|aku|gue))*)"
    r"\s*(?:adalah|ialah|:)?\s+",
    re.IGNORECASE,
)
_PLAIN_INTRO: Final = re.compile(
    r"(?:^|[,.!?;]\s*|\b(?:halo|hai|hi|hello|pagi|siang|sore|malam)\w*\s+(?:kak\s+)?)"
    r"(?:saya|sy|aku|gue|gw|i\s+am|i'm|im|this\s+is|dengan|dgn|ini)\s+",
    re.IGNORECASE,
)
_CORRECTED: Final = re.compile(
    r"(?:typo|salah ketik|salah tulis|maksud(?:nya)?|ralat)\W+(?P<name>[^,.!?]+?)\s+maksudnya\b|"
    r"\b(?:maksudnya|maksud saya|ralat)\W+(?P<name2>[^,.!?]+)",
    re.IGNORECASE,
)
# "Dewi - HRD PT Maju", "Kevin Tan, CFO at Acme Pte Ltd": a name signed before a title
_SIGNATURE: Final = re.compile(
    r"^\s*(?P<name>[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,3})\s*(?:[-–—,|]|\s-)\s*"
    r"(?=[A-Za-z])"
)
_HERE: Final = re.compile(r"\s+(?:di\s*sini|here|speaking)\b", re.IGNORECASE)
_WORKS_AT: Final = re.compile(
    r"\b(?:kerja|bekerja|work|working|works)\s+(?:di|at|for|dengan|sama)\s+", re.IGNORECASE
)
_FROM: Final = re.compile(
    r"(?:^|[,.!?;]\s*|\b)(?:saya|sy|aku|gue|gw|kami|kita|we|i|i'm|i\s+am)\b[^,.!?;]{0,40}?"
    r"\s(?:dari|dr|from|of)\s+",
    re.IGNORECASE,
)
_BUSINESS: Final = (
    r"(?:toko|olshop|online\s*shop|usaha|bisnis|brand|agency|agensi|kantor|perusahaan|"
    r"company|klinik|resto|restoran|cafe|kafe|sekolah|yayasan|bimbel|travel|studio|salon|"
    r"startup|pt|cv)(?:nya|ne|ku)?"
)
# "nama tokonya X", "agency gue namanya X", "olshop aku X", "my company is X"
_NAMED_BUSINESS: Final = re.compile(
    rf"\bnama\s+{_BUSINESS}\s+(?:(?:aku|gue|gw|saya|sy|kami|kita)\s+)?(?:adalah\s+|:\s*)?|"
    rf"\b{_BUSINESS}\s+(?:(?:aku|gue|gw|saya|sy|kami|kita|my|our)\s+)"
    r"(?:(?:namanya|bernama|adalah|is|called|named|:)\s*)?|"
    rf"\b{_BUSINESS}\s+(?:namanya|bernama|called|named)\s+",
    re.IGNORECASE,
)
# "founder Kelasin", "owner dari Warung Bu Sri", "CEO of Acme"
_LEADS: Final = re.compile(
    r"\b(?:founder|co-?founder|owner|pemilik|ceo)"
    r"(?:\s+(?:dari|of|di|at))?\s+",
    re.IGNORECASE,
)
_NAMED: Final = re.compile(r"\b(?:namanya|nama\s*nya|bernama|called|named)\s+", re.IGNORECASE)
_CLAUSE: Final = re.compile(r"[,;:!?()\n/|]|\s[-–—]\s|\.(?:\s|$)")


@dataclass(frozen=True, slots=True)
class _Words:
    honorifics: dict[str, str]
    given: frozenset[str]
    balinese: frozenset[str]
    places: frozenset[str]
    chat_like: frozenset[str]
    legal: frozenset[str]
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
        given=frozenset(raw["given_names"]),
        balinese=frozenset(raw["balinese_prefixes"]),
        places=frozenset(raw["places"]),
        chat_like=frozenset(raw["chat_like_forms"]),
        legal=frozenset(raw["legal_prefixes"]),
        prefixes=dict(raw["company_prefixes"]),
        suffixes=dict(raw["company_suffixes"]),
        junk=frozenset(raw["junk"]),
        name_ends=frozenset(raw["name_ends"]),
        company_ends=frozenset(raw["company_ends"]),
        not_names=frozenset(raw["not_names"]),
    )


def _never(_: str) -> bool:
    return False


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s'’&.-]", " ", text.casefold()).split()).strip(" .")


def is_junk(text: str) -> bool:
    """A filler, a yes/no word, a non-answer, or nothing but symbols."""
    key = _key(text)
    return not key or key in _words().junk or not any(ch.isalpha() for ch in key)


# A dot after an initial or an abbreviation ("M. Rizki", "dr. Ratna") ends no clause.
_ABBREVIATION: Final = re.compile(
    r"(?:^|(?<=\s))(?P<word>[A-Za-z]|dr|drg|drs|dra|ir|prof|hj|st|mr|mrs|ms|jl|pt|cv)\.(?=\s)",
    re.IGNORECASE,
)
_KEPT_DOT: Final = "\u2024"  # one dot leader: a dot that is part of a word


def _protect(text: str) -> str:
    return _ABBREVIATION.sub(lambda m: m.group("word") + _KEPT_DOT, text)


def _clauses(text: str) -> list[str]:
    return [part.strip() for part in _CLAUSE.split(_protect(text)) if part.strip()]


def _first_clause(text: str) -> str:
    parts = _clauses(text)
    return parts[0] if parts else ""


def _capitalised(words: list[str]) -> bool:
    return all(word[:1].isupper() for word in words)


def _display(words: list[str]) -> str:
    """Words as stored: as typed, or in title case when typed all in lower case."""
    text = " ".join(words).replace(_KEPT_DOT, ".").strip(" .")
    if text == text.casefold():
        return " ".join(w[:1].upper() + w[1:] for w in text.split())
    return text


# --- names --------------------------------------------------------------------------------


def _name_words(text: str) -> tuple[list[str], str | None]:
    """The name words at the start of `text`, up to the end of its clause or a word that ends
    names, and the form of address before them."""
    words = _words()
    honorific: str | None = None
    out: list[str] = []
    for match in _WORD.finditer(_first_clause(text)):
        word = match.group(0)
        key = word.casefold().rstrip("." + _KEPT_DOT)
        if not out and honorific is None and key in words.honorifics:
            honorific = words.honorifics[key]
            continue
        bare = key.removesuffix("nya")  # "pemiliknya", "ownernya"
        if key in words.name_ends or bare in words.name_ends or (out and key in words.honorifics):
            break
        out.append(word)
        if len(out) > MAX_NAME_WORDS:
            return [], honorific
    return out, honorific


_LEAD_UP: Final = frozenset({"oh", "eh", "iya", "ya", "ok", "oke", "nama", "name", "my", "is"})


def _leads_up(clause: str) -> bool:
    """Whether a clause only leads up to a name ("oh nama", "halo kak", "iya")."""
    lexicon = _words()
    keys = [w.casefold() for w in _WORD.findall(clause)]
    allowed = lexicon.junk | lexicon.not_names | _LEAD_UP | set(lexicon.honorifics)
    return bool(keys) and all(k in allowed for k in keys)


def _is_name(words: list[str], common: Common) -> bool:
    lexicon = _words()
    if not words or len(words) > MAX_NAME_WORDS:
        return False
    keys = [w.casefold().rstrip("." + _KEPT_DOT) for w in words]
    if keys[0] in lexicon.balinese and len(keys) > 1 and keys[1] in lexicon.given:
        keys = keys[1:]  # "I Made Sudarsana": the I is part of the name
    if any(k in lexicon.not_names or k in lexicon.junk for k in keys):
        return False
    if any(k in lexicon.prefixes or k in lexicon.suffixes for k in keys):
        return False  # "PT Maju" is a company
    if any(common(k) and k not in lexicon.given for k in keys):
        return False
    return sum(len(k) for k in keys) >= 2


def name_in(text: str, *, asked: bool = False, common: Common = _never) -> PersonName | None:
    """The prospect's name in `text`, if they gave it (or, when `asked`, if the reply is one)."""
    text = " ".join(text.split())
    if is_junk(text):
        return None
    corrected = _CORRECTED.search(text)
    if corrected is not None:  # "eh typo, hendra liem maksudnya"
        words, honorific = _name_words(corrected.group("name") or corrected.group("name2"))
        if _is_name(words, common):
            return PersonName(value=_display(words), honorific=honorific, confidence=INTRODUCED)
    if asked and "?" not in text:
        # the name given first: "Rizal. panggil cak rizal ae" is Rizal; after words that only
        # lead up to it too ("oh nama, Sri Wahyuningsih")
        for clause in _clauses(text)[:3]:
            words, honorific = _name_words(clause)
            if _is_name(words, common):
                sure = BARE_CAPITALISED if _capitalised(words) or honorific else BARE_LOWER
                return PersonName(value=_display(words), honorific=honorific, confidence=sure)
            if not _leads_up(clause):
                break
    signed = _SIGNATURE.match(text)
    if signed is not None:  # "Dewi - HRD PT Maju", "Kevin Tan, CFO at Acme"
        words, honorific = _name_words(signed.group("name"))
        if _is_name(words, common) and _capitalised(words):
            return PersonName(value=_display(words), honorific=honorific, confidence=INTRODUCED)
    for intro in _STRONG_INTRO.finditer(text):
        if intro.group(0).casefold().startswith(("panggil", "call")):
            continue  # a name to call them by comes after their name
        words, honorific = _name_words(text[intro.end() :])
        if _is_name(words, common):
            return PersonName(value=_display(words), honorific=honorific, confidence=INTRODUCED)
    for intro in _PLAIN_INTRO.finditer(text):
        words, honorific = _name_words(text[intro.end() :])
        if not _is_name(words, common):
            continue
        if asked or honorific or _capitalised(words):
            return PersonName(value=_display(words), honorific=honorific, confidence=INTRODUCED)
    here = _HERE.search(text)
    if here is not None:
        before = _CLAUSE.split(text[: here.start()])[-1].split()[-MAX_NAME_WORDS:]
        words, honorific = _name_words(" ".join(before))
        if _is_name(words, common) and (asked or honorific or _capitalised(words)):
            return PersonName(value=_display(words), honorific=honorific, confidence=INTRODUCED)
    for intro in _STRONG_INTRO.finditer(text):  # at last a name to call them by
        words, honorific = _name_words(text[intro.end() :])
        if _is_name(words, common):
            return PersonName(value=_display(words), honorific=honorific, confidence=INTRODUCED)
    return None


# --- companies ----------------------------------------------------------------------------


def _company_words(text: str, common: Common, *, form: str | None = None) -> list[str]:
    """Company words at the start of `text`: to the end of its clause, a word that ends
    company names, or (in a capitalised name) the first lower-case sentence word."""
    ends = _words().company_ends
    out = [form] if form else []
    capitalised_run = False
    matches = list(_COMPANY_WORD.finditer(_first_clause(text)))
    for n, match in enumerate(matches):
        word = match.group(0)
        key = word.casefold().strip(".")
        following = matches[n + 1].group(0) if n + 1 < len(matches) else ""
        if key in _words().honorifics and out and following[:1].isupper():
            out.append(word)  # "Dapur Bu Yuni", "Warung Pak Kumis"
            continue
        if key in ends:
            break
        if word[:1].isupper() or word[:1].isdigit():
            capitalised_run = True
        elif capitalised_run and key not in _CONNECTORS:
            break  # "PT Nusantara Retailindo Tbk sedang menyiapkan ..."
        out.append(word)
        if len(out) >= MAX_COMPANY_WORDS:
            break
    return out


def _long_way_from_self(cue: str, common: Common) -> bool:
    """Whether an introduction's "saya ... dari" has a sentence between them, not a name."""
    between = [w.casefold() for w in _WORD.findall(cue)][1:-1]
    return len(between) > 3 or any(common(w) for w in between)


def _is_company(words: list[str], common: Common) -> bool:
    lexicon = _words()
    if not words or len(words) > MAX_COMPANY_WORDS:
        return False
    if " ".join(w.casefold() for w in words) in lexicon.places:
        return False  # "sy Aisyah dr Malaysia": where she is
    keys = [w.casefold().strip(".") for w in words]
    first = keys[0]
    if first in lexicon.not_names or first in lexicon.junk or first in lexicon.honorifics:
        return False
    if " ".join(keys) in lexicon.junk:
        return False
    if not _capitalised(words[:1]) and common(first):
        return False  # "resto kecil aja", "salah tulis": a description or a sentence
    return any(ch.isalpha() for ch in "".join(keys))


def _with_form(text: str, common: Common, *, allow_lower: bool = False) -> list[str] | None:
    """A company named with its legal or business form, the capitalised name around it kept."""
    lexicon = _words()
    tokens = list(_COMPANY_WORD.finditer(text))
    keys = [t.group(0).casefold().strip(".") for t in tokens]
    for n, key in enumerate(keys):
        pair = f"{key} {keys[n + 1]}" if n + 1 < len(keys) else ""
        if pair in lexicon.suffixes or (key in lexicon.suffixes and _legal(key) and n > 0):
            size = 2 if pair in lexicon.suffixes else 1
            before = _capitalised_before(tokens[:n]) or _lower_before(tokens[:n], common)
            if before:
                return [*before, lexicon.suffixes[pair if size == 2 else key]]
        if pair in lexicon.prefixes or key in lexicon.prefixes:
            size = 2 if pair in lexicon.prefixes else 1
            form_key = pair if size == 2 else key
            rest = text[tokens[n + size - 1].end() :]
            words = _company_words(rest, common, form=lexicon.prefixes[form_key])
            if len(words) < 2:
                continue
            named = words[1][:1].isupper() or words[1][:1].isdigit()
            if words[1].casefold() in lexicon.not_names and not named:
                continue  # "toko ini", "PT nya"
            described = all(common(w.casefold()) for w in words[1:])  # "toko online"
            if form_key in lexicon.chat_like and not named:
                continue  # "sales pd ngomel": "pd" is "pada"
            if form_key in lexicon.legal:
                if named or not described:
                    return words
                continue
            if named or (allow_lower and n <= 2 and not described):
                lead = _capitalised_before(tokens[:n]) if tokens[n].group(0)[:1].isupper() else []
                return [*lead, *words]
    return None


def _legal(suffix: str) -> bool:
    # a legal form, not a word that often ends a name ("Indonesia", "Digital")
    return suffix in {"tbk", "inc", "ltd", "llc", "llp", "corp", "corporation", "gmbh", "plc"}


def _capitalised_before(tokens: list[re.Match[str]]) -> list[str]:
    out: list[str] = []
    for match in reversed(tokens[-4:]):
        word = match.group(0)
        if not word[:1].isupper() or word.casefold() in _words().not_names:
            break
        out.insert(0, word)
    return out


def _lower_before(tokens: list[re.Match[str]], common: Common) -> list[str]:
    out: list[str] = []
    for match in reversed(tokens[-4:]):
        key = match.group(0).casefold()
        if key in _words().not_names or key in _words().name_ends or common(key):
            break
        out.insert(0, match.group(0))
    return out


def company_in(text: str, *, asked: bool = False, common: Common = _never) -> CompanyName | None:
    """The prospect's company in `text`, if they named it (or, when `asked`, if the reply is
    one)."""
    text = " ".join(text.split())
    if is_junk(text):
        return None
    with_form = _with_form(text, common, allow_lower=asked)
    if with_form is not None:
        return CompanyName(value=_display_company(with_form), confidence=COMPANY_FORM)
    for cue in (_NAMED_BUSINESS, _LEADS, _WORKS_AT, _FROM):
        for match in cue.finditer(text):
            if cue is _FROM and _long_way_from_self(match.group(0), common):
                continue  # "we get 200 leads a day from Instagram": no introduction
            words = _company_words(text[match.end() :], common)
            explicit = cue is _NAMED_BUSINESS
            if _is_company(words, common) and (explicit or _capitalised(words[:1])):
                return CompanyName(value=_display_company(words), confidence=COMPANY_CUE)
    if not asked or "?" in text:
        return None
    named = _NAMED.search(text)  # "rencananya namanya Dapur Bu Yuni"
    if named is not None:
        words = _company_words(text[named.end() :], common)
        if _is_company(words, common):
            return CompanyName(value=_display_company(words), confidence=COMPANY_CUE)
    words = _company_words(text, common)
    if not _is_company(words, common):
        return None
    sure = COMPANY_BARE if _capitalised(words[:1]) else COMPANY_BARE_LOWER
    return CompanyName(value=_display_company(words), confidence=sure)


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
