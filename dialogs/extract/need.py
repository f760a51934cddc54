"""Need: how much the prospect needs a solution, what for, the pain and the quantities.

Level cues, strongest first: "none" (just browsing, not interested) > "high" (urgent, comparing
vendors, "butuh banget") > "low" (exploring, not a priority) > "medium" (needs, looking for,
a stated pain). Quantities alone ("untuk 50 user") leave the level unknown. A use case alone
("sales") is too common a word to count unless the need was just asked. `pain` is the
prospect's own clause, normalised.
"""

import re
from typing import Final

from dialogs.extract.gate import Gated, cues, gated
from dialogs.extract.text import normalize, read_number
from dialogs.slots import Need, NeedLevel

# gated(): re.compile behind a check for the words every match needs (see gate.py).
_NONE: Final = gated(
    r"(?:cuma|hanya|sekedar|sekadar|just)\s+(?:lihat-lihat|lihat|browsing|looking|tanya-tanya|"
    r"nanya|tanya|iseng|info)|\biseng\b|tidak (?:butuh|perlu|tertarik|minat)|not interested|"
    r"no need|don'?t need|tidak ada kebutuhan|belum butuh"
)
_HIGH: Final = gated(
    r"butuh banget|perlu banget|sangat (?:butuh|perlu)|(?<!tidak )\burgent(?:ly)?\b|"
    r"(?<!tidak )\burgen\b|"
    r"mendesak|(?:compare|bandingin|bandingkan|membandingkan|comparing|banding)\w*\s+"
    r"(?:\w+\s+)?(?:vendor|solusi|provider|produk|opsi)|shortlist|"
    r"\bwajib\b|harus segera|critical|kritis|asap|secepatnya|kewalahan|overwhelmed|"
    r"desperate|need it (?:now|asap|badly)|really need|segera"
)
_LOW: Final = re.compile(
    r"belum prioritas|bukan prioritas|not a priority|nice to have|explore|eksplor|penasaran|"
    r"cari referensi|riset|research|mungkin nanti|maybe later|masih lama|low priority|"
    r"coba-coba|nyoba-nyoba|coba dulu|trial dulu|just trying"
)
_MEDIUM: Final = gated(
    r"\b(?:butuh|perlu|need|needs|ingin|mau pakai|mau ganti|looking for|lagi cari|sedang cari|"
    r"cari solusi|tertarik|interested|mencari|replace|ganti sistem)\b"
    r"(?!\s+(?:tanya|izin|ijin|approval|persetujuan|waktu|diskusi|konfirmasi|to ask|demo))"
)
_PAIN: Final = re.compile(
    r"(?:masalah(?:nya)?|kendala(?:nya)?|problem(?:nya)?|pain|struggl\w*|susah|sulit|ribet|repot|"
    r"lambat|lelet|sering error|kewalahan|capek|bocor|manual|berantakan|tidak terurus|"
    r"keteteran|kehilangan|lost|slow|messy)[^.!?\n]*"
)
_USE_CASES: Final[tuple[tuple[str, Gated], ...]] = tuple(
    (label, gated(pattern))
    for label, pattern in (
        ("customer service", r"customer service|\bcs\b|layanan pelanggan|komplain|support"),
        ("sales", r"\bsales\b|penjualan|jualan|closing|\bleads?\b|prospek"),
        ("marketing", r"marketing|pemasaran|promosi|broadcast|blast|campaign|kampanye"),
        ("crm", r"\bcrm\b|data pelanggan|customer data"),
        ("chatbot", r"chat ?bot|\bbot\b|auto ?reply|balas otomatis"),
        ("whatsapp", r"whatsapp|\bwa\b"),
        ("inventory", r"inventory|inventori|stok|stock|gudang|warehouse"),
        ("hr", r"\bhr\b|\bhrd\b|payroll|penggajian|absensi|attendance|rekrutmen"),
        ("accounting", r"akuntansi|accounting|pembukuan|invoice|faktur|keuangan"),
    )
)
_QUANTITY_NOUNS: Final[tuple[tuple[str, str], ...]] = (
    ("users", r"users?|pengguna|akun|accounts?|seats?|lisensi|licen[cs]es?|agents?|agen"),
    ("employees", r"karyawan|pegawai|employees?|staff?|orang|people|pekerja"),
    ("branches", r"cabang|outlets?|toko|stores?|branch(?:es)?|lokasi"),
    ("customers", r"pelanggan|customers?|klien|clients?|member"),
    ("transactions", r"transaksi|transactions?|orders?|pesanan"),
    ("messages", r"chats?|pesan|messages?"),
)
_QUANTITY_RE: Final = gated(
    r"(?<![\w.,])(?P<num>\d{1,3}(?:[.,]\d{3})+|\d+(?:,\d+)?)\s?(?P<scale>rb|ribu|k)?(?:an)?"
    r"\s*(?P<noun>"
    + "|".join(f"(?P<{key}>{pattern})" for key, pattern in _QUANTITY_NOUNS)
    + r")\b"
)


def _quantities(text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for m in _QUANTITY_RE.finditer(text):
        read = read_number(m.group("num"), unit_follows=bool(m.group("scale")))
        if read is None:
            continue
        value = int(read[0] * (1000 if m.group("scale") else 1))
        key = next(k for k, _ in _QUANTITY_NOUNS if m.group(k))
        found.setdefault(key, value)
    return found


_LEVELS: Final[tuple[tuple[NeedLevel, Gated | re.Pattern[str]], ...]] = (
    ("none", _NONE),
    ("high", _HIGH),
    ("low", _LOW),
    ("medium", _MEDIUM),
)


def _level(text: str) -> NeedLevel | None:
    return next((level for level, pattern in _LEVELS if pattern.search(text)), None)


# A level, a pain or a quantity needs one of these patterns to match.
_NEED_CUES: Final = cues(_NONE, _HIGH, _LOW, _MEDIUM, _PAIN, _QUANTITY_RE)


def need_in(norm: str, *, expecting: bool = False) -> Need | None:
    """Need from already-normalised text."""
    if not expecting and _NEED_CUES.search(norm) is None:
        return None  # no level, pain or quantity, and the need was not asked: nothing said
    level = _level(norm)
    pain_match = _PAIN.search(norm)
    pain = pain_match.group(0).strip(" ,;") if pain_match else None
    # the use case named first is the one the sentence is about ("CRM untuk tim sales")
    hits = [(m.start(), label) for label, p in _USE_CASES if (m := p.search(norm))]
    use_case = min(hits)[1] if hits else None
    quantities = _quantities(norm)
    if level is None and pain is None and not quantities:
        if not expecting or not norm:
            return None
        # answering "what do you need it for?" in their own words is a stated need
        return Need(level="medium", use_case=use_case or norm[:200])
    if level is None:
        # a pain is a need; a bare head-count ("50 orang") says how big, not how much
        level = "medium" if pain else "unknown"
    return Need(level=level, use_case=use_case, pain=pain, quantities=quantities)


def extract_need(text: str, *, expecting: bool = False) -> Need | None:
    """The prospect's need, or None. `expecting`: the need was just asked."""
    return need_in(normalize(text), expecting=expecting)
