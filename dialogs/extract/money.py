"""Budget amounts in free text: Rupiah shorthand, other currencies, ranges, periods and status.

Rules that are decisions rather than facts (documented here because callers rely on them):

* Amounts are integers in IDR unless a currency is written (`$`, USD, SGD, EUR, MYR ...).
* `rb/ribu/k` = 10^3, `jt/juta/jeti` = 10^6, `M/miliar/milyar` = 10^9 for Rupiah; with a
  foreign currency `M`/`m` is a million. `1.5M` (English decimal point + M, no foreign
  currency) is ambiguous between 1.5 miliar and 1.5 million: the Budget has
  `ambiguous=True`, `min=max=None` and both readings in `alternatives`, miliar first.
* A bare number (no unit, no currency) is money only when the budget was asked
  (`expecting=True`) or a budget word is next to it and it is at least Rp 100.000. When the
  budget was asked and the bare number is small ("50"), the Budget is ambiguous:
  n < 1000 -> alternatives (n juta,) plus n miliar when n < 10; 1000 <= n < 100000 ->
  (n ribu, n rupiah). Larger bare numbers are taken as Rupiah.
* `period` is None when the prospect did not say (not assumed to be one-time).
"""

import re
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Final

from dialogs.extract.contact import EMAIL_RE, phone_spans
from dialogs.extract.gate import gated
from dialogs.extract.text import NUMBER, normalize, read_number
from dialogs.slots import Budget, BudgetStatus, Period

_CURRENCIES: Final[dict[str, str]] = {
    "rp": "IDR",
    "rp.": "IDR",
    "idr": "IDR",
    "rupiah": "IDR",
    "$": "USD",
    "us$": "USD",
    "usd": "USD",
    "dollar": "USD",
    "dollars": "USD",
    "dolar": "USD",
    "sgd": "SGD",
    "s$": "SGD",
    "eur": "EUR",
    "€": "EUR",
    "euro": "EUR",
    "myr": "MYR",
    "rm": "MYR",
    "ringgit": "MYR",
    "aud": "AUD",
    "a$": "AUD",
}
_THOUSAND, _MILLION, _BILLION = 10**3, 10**6, 10**9
_UNITS: Final[dict[str, int]] = {
    "rb": _THOUSAND,
    "ribu": _THOUSAND,
    "k": _THOUSAND,
    "jt": _MILLION,
    "juta": _MILLION,
    "jeti": _MILLION,
    "mio": _MILLION,
    "mil": _MILLION,
    "mn": _MILLION,
    "million": _MILLION,
    "m": _BILLION,  # Rupiah reading; a foreign currency turns it into a million
    "miliar": _BILLION,
    "milyar": _BILLION,
    "b": _BILLION,
    "bn": _BILLION,
    "billion": _BILLION,
    "t": 10**12,
    "triliun": 10**12,
    "trilyun": 10**12,
}
_WORD_DIGITS: Final[dict[str, int]] = {
    "se": 1, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5,
    "enam": 6, "tujuh": 7, "delapan": 8, "sembilan": 9,
}  # fmt: skip

# gated(): re.compile behind a check for the words every match needs (see gate.py).
_AMOUNT_RE: Final = gated(
    r"(?<![\w.,])(?:(?P<cur1>rp\.?|idr|us\$|usd|sgd|s\$|a\$|\$|eur|€|myr|rm|aud)\s?)?"
    rf"(?P<num>{NUMBER})(?P<an0>-?an\s?(?=ribu|rb|juta|jt|miliar|milyar))?\s?"
    r"(?P<unit>ribu|rb|juta|jt|jeti|miliar|milyar|million|mio|mil|mn|billion|bn|b|"
    r"triliun|trilyun|t|k|m)?(?P<an>-?an)?"
    r"(?:\s?(?P<cur2>rupiah|idr|usd|dollars?|dolar|sgd|eur|euro|myr|ringgit))?(?![\w$€])"
)
_WORD_AMOUNT_RE: Final = gated(
    r"\b(?:(?P<half>setengah)\s?|(?P<digit>se|satu|dua|tiga|empat|lima|enam|tujuh|delapan|"
    r"sembilan)-?\s?(?P<scale>puluh|ratus)?\s?)(?P<unit>juta|jt|miliar|milyar|ribu|rb|m)(?P<an>an)?\b"
)
# Jakarta slang for amounts, as corpus/LABELS.md reads them in a budget: "gocap" and "gopek"
# are 50 and 500 ribu there (50 or 500 rupiah buys nothing), "goceng" and "ceban" 5 and 10 ribu.
_SLANG_AMOUNTS: Final[dict[str, int]] = {
    "seceng": 1_000,
    "goceng": 5_000,
    "ceban": 10_000,
    "gocap": 50_000,
    "cepek": 100_000,
    "gopek": 500_000,
}
# "gocap juta" is 50 juta: the slang number with a unit written after it
_SLANG_RE: Final = re.compile(
    r"\b(" + "|".join(_SLANG_AMOUNTS) + r")\b(?:\s?(juta|jt|rb|ribu|m|miliar|milyar)\b)?"
)

_COUNT_NOUN: Final = re.compile(
    r"\s*(?:orang|users?|pengguna|akun|seats?|lisensi|licen[cs]es?|karyawan|pegawai|employees?|"
    r"staff?|pelanggan|customers?|klien|clients?|followers?|pengikut|transaksi|transactions?|"
    r"pesan|messages?|chats?|kontak|contacts?|leads?|units?|pcs|produk|sku|views?|visitors?|"
    r"pengunjung|member|anggota|siswa|murid|pasien|outlet|cabang|toko|stores?|branch(?:es)?|"
    r"orders?|pesanan|agen|agents?|bulan|minggu|pekan|hari|tahun|months?|weeks?|days?|years?|"
    r"jam|hours?|menit|minutes?|kali|x|%|persen|percent|tanggal|lantai|gb|mb)\b"
)
_RANGE_SEP: Final = re.compile(
    r"\s*(?:-|–|—|~|s/d|s\.d\.?|sd|sampai(?: dengan)?|hingga|ke|to|until|atau|or|dan|and)\s*"
)
_MAX_BEFORE: Final = gated(
    r"(?:maksimal|maksimum|maks|max|mentok(?: di)?|paling mahal|paling banyak|paling tinggi|"
    r"paling|under|"
    r"di ?bawah|kurang dari|tidak sampai|tidak lebih dari|tidak lebih|tidak boleh lebih dari|"
    r"up to|upto|sampai|s/d|sd|hingga|at most|no more than|less than|below|not more than|<|≤)"
    r"\s*(?:dari\s*)?$"
)
_MIN_BEFORE: Final = re.compile(
    r"(?:minimal|minimum|min|paling sedikit|paling murah|paling rendah|di ?atas|lebih dari|"
    r"at least|above|over|more than|mulai dari|mulai|starting (?:at|from)|>|≥)\s*(?:dari\s*)?$"
)
_APPROX_BEFORE: Final = re.compile(
    r"(?:sekitar(?:an)?|kurang lebih|kira-kira|kira|kisaran|range|around|about|approximately|"
    r"approx\.?|roughly|circa|~|±|\+-|\+/-)\s*(?:di\s*)?(?:angka\s*)?$"
)
_BETWEEN_BEFORE: Final = re.compile(r"(?:antara|between|range|kisaran|from|dari)\s*$")

_MONTHLY: Final = gated(
    r"(?:/\s*|per\s*|tiap\s+|setiap\s+|a\s+|each\s+|every\s+)(?:bulan|month|mo|mth|bl)\b|"
    r"\bsebulan\b|\bbulanan\b|\bmonthly\b|\bperbulan\b"
)
_YEARLY: Final = gated(
    r"(?:/\s*|per\s*|tiap\s+|setiap\s+|a\s+|each\s+|every\s+)(?:tahun|year|yr|annum)\b|"
    r"\bsetahun\b|\btahunan\b|\byearly\b|\bannual(?:ly)?\b|\bpertahun\b|"
    r"\b(?:untuk|for|selama)\s+(?:satu|1|one|a|the first|this|this fiscal|tahun)\s+"
    r"(?:fiscal\s+)?(?:tahun|year|anggaran)\b"
)
_ONE_TIME: Final = gated(
    r"\bsekali bayar\b|\bbayar sekali\b|\bsekali beli\b|\bone[- ]?time\b|\bone[- ]off\b|"
    r"\bbeli putus\b|\blump sum\b|\bsekaligus\b"
)

# "purchases over $5k need CFO approval", "kalau di atas 100jt harus lewat tender",
# "di bawah Rp 10.000.000,- saya bisa putuskan sendiri": a limit on who decides, not what they
# will spend. A limit word right before the amount, and a word about deciding in its clause
# or the next one.
_THRESHOLD: Final = gated(
    r"(?:kalau|kalo|jika|if|over|above|under|below|di ?atas|di ?bawah|lebih dari|<|>)"
    r".*(?:approv|persetujuan|\bacc\b|tender|lelang|sign-?off)"
)
_LIMIT_BEFORE: Final = re.compile(
    r"(?:kalau|kalo|jika|if|over|above|under|below|di ?atas|di ?bawah|lebih dari|"
    r"kurang dari|<|>|anything under|anything over|up to|sampai)\s*(?:dari\s*)?$"
)
_DECIDES: Final = re.compile(
    r"approv|persetujuan|\bacc\b|tender|lelang|\bsign|tanda ?tangan|\bttd\b|putus|"
    r"\bdecide|my call|cukup (?:saya|sy|aku|gue)|(?:bisa|boleh|can) sendiri|sendiri\b|"
    r"harus (?:melalui|lewat|ke)|goes to|go to|needs?\b|perlu|rapat|board|direksi|komite"
)
_STRETCH_BEFORE: Final = re.compile(
    r"(?:maksimal|maksimum|maks|max|paling banyak|mentok|bisa sampai|sampai|up to|upto|"
    r"stretch(?: to)?|at most|tops)\s*(?:di\s*)?$"
)
# "300rb sebulan paling mahal", "10jt ke bawah", "cepek mentok": the bound said after
_MAX_AFTER: Final = re.compile(
    r"^\s*(?:\S+\s+){0,3}?(?:max|maks|maksimal|maksimum|tops|at most|at the most|mentok|"
    r"ke ?bawah|paling mahal|paling banyak|or less|or below)\b"
)
_MIN_AFTER: Final = re.compile(r"^\s*(?:\S+\s+){0,2}?(?:ke ?atas|or more|and above|plus)\b")
_PERIOD_ANYWHERE_MONTHLY: Final = re.compile(
    r"(?:/\s*|\bper\s*|\btiap\s+|\bsetiap\s+|\beach\s+|\bevery\s+)(?:bulan|month)\b|"
    r"\bsebulan\b(?! lagi| ke ?depan)|\bbulanan\b|\bmonthly\b"
)
_PERIOD_ANYWHERE_YEARLY: Final = re.compile(
    r"(?:/\s*|\bper\s*|\btiap\s+|\bsetiap\s+|\beach\s+|\bevery\s+)(?:tahun|year)\b|"
    r"\bsetahun\b(?! lagi| ke ?depan)|\btahunan\b|\byearly\b|\bannual(?:ly)?\b|"
    r"\b(?:untuk|for|selama)\s+(?:satu|1|one|a|the first|this|this fiscal|tahun)\s+"
    r"(?:fiscal\s+)?(?:tahun|year|anggaran)\b"
)
_PARENTHESIS: Final = re.compile(r"^\s*\([^)]*\)")
# What is counted before a number ("leads ... 3-4rb"): the number is a count, not money.
_COUNT_BEFORE: Final = re.compile(
    r"\b(?:leads?|chats?|pesan|messages?|transaksi|transactions?|orders?|pesanan|users?|"
    r"pelanggan|customers?|members?|volume|followers?|pengikut|kunjungan|visitors?|traffic|"
    r"inquir(?:y|ies)|dm|kontak|contacts?|database|data|pengunjung|pendaftar|siswa|murid)\b"
)
_BUDGET_WORD: Final = re.compile(r"\b(?:budget|bujet|budjet|bugdet|anggaran|dana|biaya|modal)")
_PENDING: Final = gated(
    r"(?<!bisa )(?<!bisa di)(?<!akan )diajukan|(?<!bisa )pengajuan|"
    r"(?:nunggu|menunggu|tunggu) (?:approval|persetujuan|acc)|"
    r"pending approval|waiting for approval|awaiting approval|subject to approval|"
    r"(?:dana|anggaran|budget|uang)\S* (?:\S+ )?cair|\bcair(?:nya)?\b|disahkan|pengesahan|"
    r"kalau (?:sudah )?(?:di)?(?:acc|approve|setujui)|once (?:it'?s |the budget is )?approved|"
    r"belum (?:di)?(?:approve|acc|setujui|disetujui|approved)|proses approval"
)
_FLEXIBLE: Final = re.compile(
    r"fleksibel|flexible|flexibel|nego|negotiable|negosiasi|bisa disesuaikan|bisa diatur|"
    r"bisa naik|could stretch|can stretch|stretch a bit|room to stretch|some room|bisa ditambah|"
    r"dirembug|bisa dibicarakan|open to discuss"
)
_TENTATIVE: Final = re.compile(
    r"kira-kira|mungkin|maybe|perhaps|probably|kayaknya|sepertinya|rencananya|estimasi|"
    r"perkiraan|belum pasti|belum fix|belum final|not final|tentative|tidak pasti|"
    r"don'?t quote me|lebih kurang|kurleb|ballpark"
)
_REFUSED: Final = re.compile(
    r"rahasia|confidential|tidak bisa (?:di)?sebut|tidak (?:mau|bisa) (?:sebut|kasih|share)|"
    r"prefer not|rather not|not (?:to )?disclose|private|secret"
)
_REFUSED_ASKED: Final = re.compile(r"^(?:nanti (?:saja|aja)|skip|pass|later|lewat|next)\b")
_WANTS_QUOTE: Final = gated(
    r"penawaran|kasih harga|tergantung (?:harga|penawaran)|belum tahu|tidak tahu|tidak yakin|"
    r"not sure|don'?t know|no idea|depends on (?:the )?(?:price|quote|pricing)|quote|"
    r"lihat harga|see (?:the )?pric|belum ditentukan|belum dihitung|tbd|masih dihitung"
)
_NO_BUDGET: Final = gated(
    r"(?:belum|tidak) ada (?:budget|bujet|anggaran|dana)|"
    r"(?:budget|bujet|anggaran|dana)(?:nya)?(?: \S+){0,2}? (?:belum|tidak|masih belum) ada|"
    r"no budget|"
    r"(?:don'?t|do not) have (?:a |any )?budget|tidak punya (?:budget|anggaran|dana)|"
    r"belum (?:di)?anggarkan|belum dialokasikan|not budgeted|zero budget|"
    r"budget(?:nya)? (?:nol|0)\b|out of budget|"
    r"(?:budget|bujet|anggaran|dana)\S*(?: \S+){0,2}? (?:sudah |sdh )?(?:habis|terpakai semua)"
)
# "10jt sebulan, eh 15 deh", "goceng wkwk. becanda, 500an": what follows a correction is meant
_CORRECTION: Final = re.compile(
    r"\b(?:eh|maksud(?:nya)?|maksud (?:saya|sy|aku|gue)|ralat|koreksi|i mean|(?:ber|be)?canda|"
    r"just kidding|kidding|salah(?: ketik| tulis)?|sorry|wait)\b"
)
# "12 outlet x 300rb, 3,6jt sebulan": a factor of a sum worked out in the reply
_FACTOR_BEFORE: Final = re.compile(r"(?:\bx|×|\*|\bkali|@)\s*$")
_FACTOR_AFTER: Final = re.compile(r"^\s*(?:x|×|\*|kali)\s*\d")
_OPERATOR: Final = re.compile(r"\s(?:x|×|\*|kali)\s|=")
# "skrg bayar 4jt ke vendor lama ... maunya di bawah 3jt": what they pay now is no budget
_CURRENT_SPEND: Final = re.compile(
    r"\b(?:sekarang|saat ini|currently|now|selama ini)\b.{0,25}"
    r"\b(?:bayar|pay(?:ing)?|spend(?:ing)?|keluar|habis)"
)
_CLAUSE_END: Final = re.compile(r"[,.;!?](?:\s|$)")
_CLAUSE_BREAK: Final = re.compile(r"[,.;!?]\s")
_KIRA_BEFORE: Final = re.compile(r"\bkira(?:-kira)?\s*$")
_NO_BUDGET_ASKED: Final = re.compile(
    r"^(?:belum ada|tidak ada|belum|tidak|nol|none|no|nothing|nope|kosong)\b"
)


@dataclass(frozen=True, slots=True)
class _Amount:
    start: int
    end: int
    number: Decimal
    multiplier: int | None  # None: no unit written
    currency: str | None
    dot_decimal: bool
    unit: str
    suffix_an: bool

    def value(self) -> int:
        scale = self.multiplier or 1
        if self.unit == "m" and (self.currency or "IDR") != "IDR":
            scale = _MILLION  # "$1.5M" is a million dollars, never a miliar
        return int(self.number * scale)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _amounts(text: str) -> list[_Amount]:
    found: list[_Amount] = []
    for m in _AMOUNT_RE.finditer(text):
        unit = m.group("unit") or ""
        read = read_number(m.group("num"), unit_follows=bool(unit))
        if read is None:
            continue
        cur = m.group("cur1") or m.group("cur2")
        found.append(
            _Amount(
                start=m.start(),
                end=m.end(),
                number=read[0],
                multiplier=_UNITS[unit] if unit else None,
                currency=_CURRENCIES.get(cur) if cur else None,
                dot_decimal=read[1],
                unit=unit,
                suffix_an=bool(m.group("an") or m.group("an0")),
            )
        )
    for m in _WORD_AMOUNT_RE.finditer(text):
        if m.group("half"):
            number = Decimal("0.5")
        else:
            number = Decimal(_WORD_DIGITS[m.group("digit")])
            number *= {"puluh": 10, "ratus": 100}.get(m.group("scale") or "", 1)
        unit = m.group("unit")
        found.append(
            _Amount(
                m.start(), m.end(), number, _UNITS[unit], None, False, unit, bool(m.group("an"))
            )
        )
    for m in _SLANG_RE.finditer(text):
        value = Decimal(_SLANG_AMOUNTS[m.group(1)])
        unit = m.group(2)
        if unit:  # the slang names the number in thousands: gocap = 50
            found.append(
                _Amount(m.start(), m.end(), value / 1000, _UNITS[unit], "IDR", False, unit, False)
            )
        else:
            found.append(_Amount(m.start(), m.end(), value, 1, "IDR", False, "", False))
    found.sort(key=lambda a: a.start)
    return found


def _is_threshold(a: _Amount, text: str) -> bool:
    start = max(text.rfind(c, 0, a.start) for c in ",.;!?")
    ends = [i for i in (text.find(c, a.end) for c in ",.;!?") if i >= 0]
    clause = text[start + 1 : min(ends, default=len(text))]
    if _THRESHOLD.possible(text) and _THRESHOLD.search(clause) is not None:
        return True
    if not _LIMIT_BEFORE.search(text[max(0, a.start - 25) : a.start]):
        return False
    # the amount's clause and the next one: "di bawah Rp 10 jt, saya bisa putuskan sendiri"
    stops = sorted(i for i in (text.find(c, a.end) for c in ",.;!?") if i >= 0)
    following = [i for i in stops if i > (stops[0] if stops else len(text)) + 1]
    window = text[a.end : following[0] if following else len(text)]
    return _DECIDES.search(window) is not None


def _is_money(a: _Amount, text: str, *, expecting: bool, limits: bool) -> bool:
    if not limits and _is_threshold(a, text):
        return False
    if a.currency is not None:
        return True
    if _COUNT_NOUN.match(text, a.end):
        return False
    # "20 user x 150rb = 3jt": the users are counted, the price times them is money
    clause = _OPERATOR.split(_clause_before(text, a.start))[-1]
    if _COUNT_BEFORE.search(clause) and not _BUDGET_WORD.search(clause):
        return False  # "inbound leads 3-4rb per bulan", "volume chat kita 20rb/bulan"
    if a.multiplier is not None:
        return True
    if 2000 <= a.number <= 2100 and a.number == int(a.number):
        return False  # a year
    return expecting or (a.number >= 100_000 and _BUDGET_WORD.search(text) is not None)


def _period(text: str, start: int, end: int) -> Period | None:
    # Only the clause around the amount: "50jt, mulai sebulan lagi" is not a monthly budget.
    after = _PARENTHESIS.sub("", text[end : end + 60])[:24]  # "Rp 250jt (dua ratus ...)"
    after = _CLAUSE_END.split(after)[0]
    for window in (after, _clause_before(text, start)):
        if _MONTHLY.search(window):
            return "monthly"
        if _YEARLY.search(window):
            return "yearly"
        if _ONE_TIME.search(window):
            return "one_time"
    return None


def _status(text: str) -> BudgetStatus:
    if _PENDING.search(text):
        return "pending_approval"
    if _FLEXIBLE.search(text):
        return "flexible"
    if _TENTATIVE.search(text):
        return "tentative"
    return "stated"


def _without_amount(text: str, *, expecting: bool) -> Budget | None:
    if not expecting and _BUDGET_WORD.search(text) is None:
        return None
    if _PENDING.search(text):
        return Budget(status="pending_approval")
    if _REFUSED.search(text) or (expecting and _REFUSED_ASKED.search(text)):
        return Budget(status="refused")
    if _WANTS_QUOTE.search(text):
        return Budget(status="unknown_wants_quote")
    if _NO_BUDGET.search(text) or (expecting and _NO_BUDGET_ASKED.search(text)):
        return Budget(status="no_budget")
    return None


def _bare(a: _Amount) -> Budget:
    n = int(a.number)
    if a.number >= 100_000:
        return Budget(min=n, max=n)
    if a.number >= 1000:
        return Budget(ambiguous=True, alternatives=(n * _THOUSAND, n))
    alternatives: tuple[int, ...] = (int(a.number * _MILLION),)
    if a.number < 10:
        alternatives += (int(a.number * _BILLION),)
    return Budget(ambiguous=True, alternatives=alternatives)


def _pair(a: _Amount, b: _Amount) -> tuple[_Amount, _Amount]:
    # "30-40jt": the unit and currency written once apply to both ends.
    if a.multiplier is None and b.multiplier is not None:
        a = replace(a, multiplier=b.multiplier, unit=b.unit)
    elif b.multiplier is None and a.multiplier is not None:
        b = replace(b, multiplier=a.multiplier, unit=a.unit)
    if a.currency is None and b.currency is not None:
        a = replace(a, currency=b.currency)
    elif b.currency is None and a.currency is not None:
        b = replace(b, currency=a.currency)
    return a, b


def _is_range(text: str, a: _Amount, b: _Amount) -> bool:
    between = text[a.end : b.start]
    if not _RANGE_SEP.fullmatch(between):
        return False
    if between.strip() in ("dan", "and"):
        return _BETWEEN_BEFORE.search(text[: a.start]) is not None
    return True


def _first_money(
    text: str, *, expecting: bool, limits: bool
) -> tuple[_Amount, _Amount | None] | None:
    """The budget's amount (or range): the first one, unless a later one is the one called
    the budget ("skrg bayar 9,5jt/bln. budget kita maks 8jt/bln")."""
    amounts = _corrected(text, _amounts(text))
    found: list[tuple[_Amount, _Amount | None]] = []
    skip = False
    for i, a in enumerate(amounts):
        if skip:
            skip = False
            continue
        b = amounts[i + 1] if i + 1 < len(amounts) else None
        if b is not None and _is_range(text, a, b):
            low, high = _pair(a, b)
            if _is_money(high, text, expecting=expecting, limits=limits):
                found.append((low, high))
                skip = True
        elif _is_money(a, text, expecting=expecting, limits=limits):
            found.append((a, None))
    if len(found) > 1:
        found = [f for f in found if not _is_factor(text, f)] or found
        spent = [f for f in found if _CURRENT_SPEND.search(_clause_before(text, f[0].start))]
        found = [f for f in found if f not in spent] or found
    named = [f for f in found if _BUDGET_WORD.search(_clause_before(text, f[0].start))]
    if named and named[0] is not found[0]:
        return named[0]
    return found[0] if found else None


def _corrected(text: str, amounts: list[_Amount]) -> list[_Amount]:
    """The amounts after the last correction that has amounts on both sides, the first of
    them read with the unit and currency of the one corrected when it writes none."""
    for m in reversed(list(_CORRECTION.finditer(text))):
        before = [a for a in amounts if a.end <= m.start()]
        after = [a for a in amounts if a.start >= m.end()]
        if before and after:
            old, new = before[-1], after[0]
            if new.multiplier is None and new.currency is None and old.multiplier is not None:
                after[0] = replace(new, multiplier=old.multiplier, unit=old.unit)
            if after[0].currency is None and old.currency is not None:
                after[0] = replace(after[0], currency=old.currency)
            return after
    return amounts


def _is_factor(text: str, found: tuple[_Amount, _Amount | None]) -> bool:
    first, last = found[0], found[1] or found[0]
    return bool(
        _FACTOR_BEFORE.search(text[max(0, first.start - 6) : first.start])
        or _FACTOR_AFTER.match(text[last.end : last.end + 8])
    )


def _clause_before(text: str, start: int) -> str:
    prefix = text[max(0, start - 30) : start]
    return _CLAUSE_BREAK.split(prefix)[-1]


def budget_in(norm: str, *, expecting: bool = False, limits: bool = False) -> Budget | None:
    """Budget from already-normalised text (see `normalize`); extract_all shares one pass.

    `limits`: also read amounts that are approval or tender thresholds ("kalau < 5 juta
    saya bisa approve sendiri"), which are skipped as budgets otherwise.
    """
    text = _blank(norm, [(s, e) for s, e, _ in phone_spans(norm)])
    if "@" in text:  # no address without one
        text = _blank(text, [m.span() for m in EMAIL_RE.finditer(text)])
    found = _first_money(text, expecting=expecting, limits=limits)
    if found is None:
        return _without_amount(text, expecting=expecting)
    first, second = found
    last = second or first
    currency = first.currency or "IDR"
    status = _status(text)
    prefix = _clause_before(text, first.start)
    approx = bool(_APPROX_BEFORE.search(prefix)) or first.suffix_an or last.suffix_an
    if status == "stated" and _KIRA_BEFORE.search(prefix):
        status = "tentative"
    period = _period(text, first.start, last.end)
    if last.multiplier is None and last.currency is None:
        bare = _bare(last)
        if bare.ambiguous:
            # a bare range ("30-40") is ambiguous the same way its upper end is
            return Budget(
                status=status, period=period, ambiguous=True, alternatives=bare.alternatives
            )
    if last.unit == "m" and currency == "IDR" and (first.dot_decimal or last.dot_decimal):
        return Budget(
            currency=currency,
            period=period,
            approx=approx,
            status=status,
            ambiguous=True,
            alternatives=(int(last.number * _BILLION), int(last.number * _MILLION)),
        )
    if period is None and len(_amounts(text)) <= 2:
        # "oh budget per bulan? 2-3 jeti": the period said elsewhere in the reply
        if _PERIOD_ANYWHERE_MONTHLY.search(text):
            period = "monthly"
        elif _PERIOD_ANYWHERE_YEARLY.search(text):
            period = "yearly"
    low: int | None = first.value()
    high: int | None = last.value()
    if second is None:
        stretch = _stretch(text, first)
        if stretch is not None and stretch > first.value():
            # a base and a stretch: "800 a month, max 1k if it's really good" has room to move
            high = stretch
            if status == "stated":
                status = "flexible"
        elif _MAX_BEFORE.search(prefix) or _MAX_AFTER.match(text[first.end : first.end + 30]):
            low = None
        elif _MIN_BEFORE.search(prefix) or _MIN_AFTER.match(text[first.end : first.end + 24]):
            high = None
    elif low is not None and high is not None and low > high:
        low, high = high, low
    return Budget(
        min=low, max=high, currency=currency, period=period, approx=approx, status=status
    )


def _stretch(text: str, base: _Amount) -> int | None:
    """A later amount the prospect would stretch to ("max 100 kalau ROI jelas"), read with
    the base's unit and currency when it writes none."""
    for later in _amounts(text):
        if later.start <= base.end or not _STRETCH_BEFORE.search(text[: later.start]):
            continue
        if later.multiplier is None and base.multiplier is not None:
            later = replace(later, multiplier=base.multiplier, unit=base.unit)
        if later.currency is None:
            later = replace(later, currency=base.currency)
        if later.multiplier is None and later.value() < 1000:
            return None  # "max 2" is no amount
        return later.value()
    return None


def extract_money(text: str, *, expecting: bool = False) -> Budget | None:
    """The budget stated in `text`, or None. `expecting`: the budget was just asked."""
    return budget_in(normalize(text), expecting=expecting)
