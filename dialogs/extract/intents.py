"""Intents voiced at any point: price, demo, human, stop, erase, restart, help, language.

False positives cost more than misses here (a wrong `stop` ends the conversation), so the
bare command words (`stop`, `help`, `english`, `restart`) count only when they are most of the
message (at most `_SHORT` words), while explicit phrases ("jangan hubungi saya lagi",
"delete my data") count anywhere. A negated request ("tidak perlu demo") is not a request.
"""

import re
from typing import Final

from dialogs.extract.gate import Gated, cues, gated
from dialogs.extract.text import normalize
from dialogs.slots import Intent

_SHORT: Final = 4
_NEGATION: Final = re.compile(
    r"\b(?:tidak|belum|jangan|no|not|don'?t|without|tanpa)\s+(?:\w+\s+)?$"
)

# gated(): re.compile behind a check for the words every match needs (see gate.py).
_PATTERNS: Final[dict[Intent, Gated]] = {
    Intent.PRICE: gated(
        r"\bberapa\b.{0,20}\b(?:harga|biaya|tarif|price|cost)|"
        r"\b(?:harga|biaya|tarif)(?:nya)?\b.{0,20}\b(?:berapa|berapaan)\b|"
        r"\b(?:harga|harganya|biayanya|tarifnya|price|pricing)\s*\?|"
        r"\bhow much\b|\bpricing\b|\bprice ?list(?:nya)?\b|\bdaftar harga\b|"
        r"\b(?:minta|info|cek|kirim|kasih tahu|tahu|lihat)\s+(?:info\s+)?"
        r"(?:harga|biaya|pricing|price)|"
        r"\bwhat(?:'s| is) the (?:price|cost)\b|\bkena berapa\b|\bberapaan\b|"
        r"\bmahal (?:tidak|nggak)\b|\b(?:minta|kirim)\s+penawaran\b|\bquotation\b|"
        r"^(?:harga|harganya|price|pricing|biaya|biayanya|prices)"
        r"(?: (?:nya|dong|donk|please|kak|min|gan|sis|bro|pak|bu))*[?!.]*$"
    ),
    Intent.DEMO: gated(
        r"\bdemo\b|\bfree trial\b|\btrial\b|\bcoba gratis\b|\buji ?coba\b|\bcobain\b|"
        r"\bbisa dicoba\b|\bpresentasi produk\b|\bwalk ?through\b|\bproof of concept\b|\bpoc\b"
    ),
    Intent.HUMAN: gated(
        r"\b(?:ngobrol|bicara|berbicara|chat|ngomong|telepon|telpon|call|hubungi|hubungkan|"
        r"sambungkan|connect|talk|speak|ketemu|meeting|dihubungi|ditelepon|ditelpon)\b"
        r"(?:\s+\w+){0,3}?\s+(?:sales|salesnya|cs|orang|manusia|admin|human|person|agent|"
        r"agen|representative|rep|marketing|customer service|someone|sdr|tim sales)\b|"
        r"\b(?:real person|live agent|real human|human agent|orang beneran|orang asli)\b|"
        r"\b(?:minta|tolong)\s+(?:di)?(?:telepon|telpon|hubungi|call)\b|\bcall me\b|"
        r"\bhubungi saya\b|\bbukan bot\b|\bare you a bot\b"
    ),
    Intent.STOP: gated(
        r"\bjangan (?:hubungi|kirim|chat|telepon|telpon|sms|wa)\w*(?:\s+\w+){0,2}\s+lagi\b|"
        r"\btidak mau (?:di)?(?:hubungi|kontak|chat)\w*\b|"
        r"\btidak (?:usah|perlu) (?:di)?(?:hubungi|kontak|chat|telepon|telpon|follow up)\w*"
        r"(?:\s+\w+)?\s+lagi\b|"
        r"\b(?:stop|berhenti)\s+(?:kirim|hubungi|chat|spam|messaging|texting|contacting|"
        r"sending|menghubungi|mengirim)\w*\b|\bunsubscribe\b|\bunsub\b|\bopt[- ]?out\b|"
        r"\bremove me\b|\bleave me alone\b|\bdon'?t (?:contact|message|text) me\b|"
        # threats to block, the end of it, "I will contact you myself"
        r"\b(?:kalau|kalo|klo|nek|if)\s+(?:masih|sik|you)\b.{0,30}\b(?:block|blokir|report)\w*|"
        r"\bcukup sampai (?:di )?sini\b|\bsampai sini (?:aja|saja)\b|"
        r"\btidak (?:usah|perlu) (?:di)?lanjut(?:kan|in)?\b|"
        r"\bjangan (?:di)?(?:follow ?up|ganggu|kirimi|spam)\w*(?:\s+\w+){0,2}\s+lagi\b|"
        r"\bnanti (?:saya|aku|gue|gw|kami) (?:yang )?(?:hubungi|kontak|chat|kabari)\w* "
        r"(?:sendiri|duluan)\b|"
        r"\bmohon (?:untuk )?(?:tidak|jangan) (?:di)?(?:hubungi|menghubungi)\b|"
        r"\b(?:tidak|jangan) (?:usah |perlu )?(?:di)?(?:hubungi|kontak|telepon|telpon|chat|wa)\w* "
        r"(?:saya |kami |aku )?(?:lagi|kembali)\b|"
        r"\b(?:don'?t|do not|never|stop) (?:ever )?(?:contact|call|message|text|email|bother)\w* "
        r"(?:me|us)\b(?![^.!?]*\b(?:instead|but|tapi|email|e-mail|wa|whatsapp|text|chat)\b)|"
        r"\bno (?:more )?(?:messages|calls|contact)\b|\btake me off\b|"
        r"\bstop (?:ya|aja|saja|please|pls)\b"
    ),
    # not interested, bought elsewhere, a wrong number: explicit phrases only (it closes the
    # conversation); "udah ada sistem tapi ribet" is a buyer, so no contrast may follow
    Intent.NOT_INTERESTED: gated(
        r"(?:\b(?:tidak|kurang|belum) (?:tertarik|minat|berminat)\b|\bnot interested\b|"
        r"\bno interest\b|\bnot for (?:us|me)\b|\b(?:i|we) (?:don'?t|do not) need (?:it|this|"
        r"a crm|one|your)\b|\b(?:sudah|udah) (?:ada|pakai|pake|punya|langganan|beli|pilih)"
        r"(?: \S+){0,3}? (?:sistem|aplikasi|crm|vendor|software|tools?|yang lain|lain|sendiri)\b|"
        r"\b(?:vendor|sistem|aplikasi) (?:yang|yg) sekarang\b|\balready (?:have|use|using|"
        r"bought|signed|went with|chose|picked)\b|\bwent with (?:another|a different|someone)\b|"
        r"\bwrong (?:number|person|chat)\b)(?![^.!?]*\b(?:tapi|tetapi|namun|but|cuma)\b)"
    ),
    Intent.ERASE: gated(
        r"\bhapus\s+(?:semua\s+)?(?:data|nomor|nomer|akun|informasi|info)\b|"
        r"\b(?:delete|erase|remove|wipe)\s+(?:all\s+)?(?:of\s+)?(?:my|our)\s+"
        r"(?:data|info|information|details|account|number)\b|\bright to be forgotten\b|"
        r"\bdata (?:saya|kami)\s+(?:di)?hapus\b"
    ),
    Intent.RESTART: gated(
        r"\bulang(?:i)? dari awal\b|\bmulai (?:lagi|ulang|dari awal)\b|\bdari awal lagi\b|"
        r"\bstart over\b|\bstart again\b|\bbegin again\b|\bulang lagi\b"
    ),
    Intent.HELP: gated(
        r"\bbantuan\b|\btolong jelaskan\b|\bjelaskan dulu\b|\bmaksudnya apa\b|\bapa maksudnya\b|"
        r"\btidak (?:mengerti|ngerti|paham)\b|\bbingung\b|\bwhat do you mean\b|"
        r"\bi don'?t understand\b|\bhow does (?:this|it) work\b|^/help\b|^\?+$"
    ),
    Intent.LANGUAGE_EN: gated(
        r"\b(?:in|speak|use|pakai|pake|bahasa)\s+(?:english|inggris)\b|"
        r"\benglish (?:please|pls|plz|only|aja|saja)\b|\bcan we (?:talk|chat) in english\b|"
        r"\b(?:ganti|switch|pindah|change)\s+(?:ke|to)\s+(?:bahasa\s+)?(?:english|inggris)\b"
    ),
    Intent.LANGUAGE_ID: gated(
        r"\bbahasa indonesia\b|\b(?:pakai|pake) bahasa (?:aja|saja)\b|\bbahasa (?:aja|saja)\b|"
        r"\bin (?:indonesian|bahasa)\b|\bindonesian please\b|\bbhs indonesia\b|"
        r"\bindo (?:aja|saja)\b|\bspeak indonesian\b|"
        r"\b(?:ganti|switch|pindah|change)\s+(?:ke|to)\s+(?:bahasa\s+)?(?:indonesia|indonesian|indo)\b"
    ),
}
# Command words that count only when they are (most of) the message.
# (pattern, at most this many words in the message)
_SHORT_WORDS: Final[dict[Intent, tuple[Gated, int]]] = {
    Intent.STOP: (gated(r"\b(?:stop|berhenti|udahan|sudahan)\b"), _SHORT),
    Intent.HELP: (gated(r"\b(?:help|bantu|halp)\b"), _SHORT),
    Intent.RESTART: (gated(r"\b(?:restart|reset)\b"), _SHORT),
    # "salah kirim kak, maaf" is a wrong number; "sering salah kirim barang" is a pain
    Intent.NOT_INTERESTED: (
        gated(r"\bsalah (?:kirim|nomor|nomer|kontak|chat|sambung|pencet|klik)\b|\bkepencet\b"),
        7,
    ),
    Intent.LANGUAGE_EN: (gated(r"\b(?:english|inggris|eng)\b"), 2),
    Intent.LANGUAGE_ID: (gated(r"\b(?:indonesia|indonesian|indo|bahasa)\b"), 2),
}
# "non-stop", "bus stop", "tidak berhenti": the word is there, the intent is not.
_STOP_FALSE: Final = re.compile(r"non-?stop|bus stop|stop ?kontak|tidak (?:ber)?henti|tanpa henti")
_WORDS: Final = re.compile(r"[^\W_]+")


def _negated(text: str, start: int) -> bool:
    return _NEGATION.search(text[max(0, start - 24) : start]) is not None


# Every intent needs one of these patterns to match.
_CUES: Final = cues(*_PATTERNS.values(), *(pattern for pattern, _ in _SHORT_WORDS.values()))


def intents_in(norm: str) -> frozenset[Intent]:
    """Intents in already-normalised text."""
    if _CUES.search(norm) is None:
        return frozenset()
    found: set[Intent] = set()
    for intent, pattern in _PATTERNS.items():
        match = pattern.search(norm)
        if match is not None and not (
            intent in (Intent.DEMO, Intent.HUMAN) and _negated(norm, match.start())
        ):
            found.add(intent)
    words = len(_WORDS.findall(norm))
    for intent, (pattern, most) in _SHORT_WORDS.items():
        if words <= most:
            match = pattern.search(norm)
            if match is not None and not _negated(norm, match.start()):
                found.add(intent)
    if Intent.STOP in found and _STOP_FALSE.search(norm):
        found.discard(Intent.STOP)
    if Intent.STOP in found:
        found.discard(Intent.HUMAN)  # "jangan hubungi saya lagi" is not a wish to talk
    if Intent.LANGUAGE_EN in found and Intent.LANGUAGE_ID in found:
        # "bahasa inggris" names a language with the Indonesian word for language
        found.discard(Intent.LANGUAGE_ID)
    return frozenset(found)


def detect_intents(text: str) -> frozenset[Intent]:
    """Every intent voiced in `text` (often none)."""
    return intents_in(normalize(text))
