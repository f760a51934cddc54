"""Text normalisation shared by the extractors: case, controls, slang and number format."""

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Final

from dialogs.extract.gate import trie

# Chat slang and abbreviations -> the word the extractors' patterns are written for.
# Kept deliberately conservative: units the money and timeline parsers read (jt, rb, k, m,
# bln stays readable as "bulan") and short words that are also English are left alone.
SLANG: Final[dict[str, str]] = {
    "yg": "yang",
    "sy": "saya",
    "sya": "saya",
    "gw": "saya",
    "gue": "saya",
    "gua": "saya",
    "aku": "saya",
    "udh": "sudah",
    "udah": "sudah",
    "sdh": "sudah",
    "dah": "sudah",
    "blm": "belum",
    "blom": "belum",
    "blum": "belum",
    "tp": "tapi",
    "tpi": "tapi",
    "bln": "bulan",
    "thn": "tahun",
    "th": "tahun",
    "mgg": "minggu",
    "mng": "minggu",
    "hr": "hari",
    "tgl": "tanggal",
    "gak": "tidak",
    "ga": "tidak",
    "gk": "tidak",
    "nggak": "tidak",
    "ngga": "tidak",
    "engga": "tidak",
    "enggak": "tidak",
    "ndak": "tidak",
    "kagak": "tidak",
    "tdk": "tidak",
    "gaada": "tidak ada",
    "gausah": "tidak usah",
    "gusah": "tidak usah",
    "cm": "cuma",
    "cmn": "cuma",
    "gada": "tidak ada",
    "gatau": "tidak tahu",
    "gatahu": "tidak tahu",
    "gapapa": "tidak apa apa",
    "gpp": "tidak apa apa",
    "tau": "tahu",
    "dgn": "dengan",
    "dg": "dengan",
    "utk": "untuk",
    "untk": "untuk",
    "krn": "karena",
    "karna": "karena",
    "bgt": "banget",
    "bngt": "banget",
    "sm": "sama",
    "org": "orang",
    "kpn": "kapan",
    "brp": "berapa",
    "hrg": "harga",
    "bs": "bisa",
    "bsa": "bisa",
    "ntar": "nanti",
    "nti": "nanti",
    "lg": "lagi",
    "dl": "dulu",
    "dlu": "dulu",
    "aj": "aja",
    "jg": "juga",
    "kmi": "kami",
    "trs": "terus",
    "sblm": "sebelum",
    "stlh": "setelah",
    "bbrp": "beberapa",
    "ato": "atau",
    "klo": "kalau",
    "kalo": "kalau",
    "kl": "kalau",
    "sampe": "sampai",
    "smp": "sampai",
    "msh": "masih",
    "masi": "masih",
    "emg": "memang",
    "skrg": "sekarang",
    "skrng": "sekarang",
    "pls": "please",
    "plz": "please",
    "pake": "pakai",
    "pakek": "pakai",
    "iy": "iya",
    "lht": "lihat",
    "liat": "lihat",
    "pengen": "ingin",
    "pgn": "ingin",
    "pingin": "ingin",
    "kyk": "kayak",
    "kyknya": "kayaknya",
    "sprti": "seperti",
    "tlg": "tolong",
    "mksh": "makasih",
}

# The slang words as a trie: the same matches as the alternation sorted longest first.
_SLANG_RE: Final = re.compile(r"(?<![\w@.])(" + trie(SLANG) + r")(?![\w@])")
# Indonesian repeats words with a digit: "kira2" = "kira-kira", "liat2" = "liat-liat".
_REDUP: Final = re.compile(r"\b([a-z]{3,})2\b")


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
    """Casefold, strip control characters, collapse whitespace and expand chat slang."""
    folded = _drop_controls(unicodedata.normalize("NFKC", text)).casefold()
    if "2" in folded:  # _REDUP needs its "2"
        folded = _REDUP.sub(r"\1-\1", folded)
    folded = _SLANG_RE.sub(lambda m: SLANG[m.group(1)], folded)
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
