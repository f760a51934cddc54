"""Which language to answer in: from the channel's hint, the first message, or a switch."""

import re
from typing import Final

from dialogs.state import Language

_ID_WORDS: Final = frozenset(
    "saya aku kami kita mau ingin butuh ada apa yang dan di ke dari untuk dengan bisa boleh "
    "tidak gak ga nggak enggak belum sudah udah udh blm sy yg tp halo hai selamat pagi siang "
    "sore malam terima kasih makasih gan kak bang pak bu mas mbak dong deh nih sih ya iya "
    "harga berapa bulan tahun juta jt rb ribu perusahaan kantor info minta tolong buat tanya "
    "nanya gimana bagaimana apakah kalau kalo aja saja juga sama lagi punya pakai pake cari "
    "lewat bisa nya kah dulu banget bgt".split()
)
_EN_WORDS: Final = frozenset(
    "i i'm im we our my you your want need would like to the and is are have has can could "
    "please hello hi hey good morning afternoon evening thanks thank how much what when "
    "price pricing company team budget month year about interested info looking for".split()
)
_WORD = re.compile(r"[a-z']+")


def word_counts(text: str) -> tuple[int, int]:
    """(Indonesian, English) telling words in a message."""
    words = _WORD.findall(text.casefold())
    return sum(word in _ID_WORDS for word in words), sum(word in _EN_WORDS for word in words)


def detect_language(text: str) -> Language | None:
    """The language a message is written in, or None when it gives no clear sign.

    Code-switched chat ("mau tanya pricing dong, for my brand") is Indonesian with English
    words in it: a few Indonesian words decide."""
    indonesian, english = word_counts(text)
    if indonesian > english or indonesian >= 3:
        return "id"
    if english > indonesian:
        return "en"
    return None


def language_from_hint(hint: str | None) -> Language | None:
    """Telegram's language_code and similar hints ("id", "en-US", "ms", "jv")."""
    if not hint:
        return None
    code = hint.casefold().split("-")[0].split("_")[0]
    if code in {"id", "in", "ms", "jv", "su"}:
        return "id"
    if code == "en":
        return "en"
    return None
