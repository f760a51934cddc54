"""Which language to answer in: from the channel's hint, the first message, or a switch."""

import re
from typing import Final

from dialogs.state import Language

_ID_WORDS: Final = frozenset(
    "saya aku kami kita mau ingin butuh ada apa yang dan di ke dari untuk dengan bisa boleh "
    "tidak gak ga nggak enggak belum sudah udah udh blm sy yg tp halo hai selamat pagi siang "
    "sore malam terima kasih makasih gan kak bang pak bu mas mbak dong deh nih sih ya iya "
    "harga berapa bulan tahun juta jt rb ribu perusahaan kantor info minta tolong".split()
)
_EN_WORDS: Final = frozenset(
    "i i'm im we our my you your want need would like to the and is are have has can could "
    "please hello hi hey good morning afternoon evening thanks thank how much what when "
    "price pricing company team budget month year about interested info looking for".split()
)
_WORD = re.compile(r"[a-z']+")


def detect_language(text: str) -> Language | None:
    """The language a message is written in, or None when it gives no clear sign."""
    words = _WORD.findall(text.casefold())
    indonesian = sum(word in _ID_WORDS for word in words)
    english = sum(word in _EN_WORDS for word in words)
    if indonesian > english:
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
