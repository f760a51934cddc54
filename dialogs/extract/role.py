"""Authority: the prospect's title and their part in the buying decision.

Titles are matched with rapidfuzz against word n-grams, so "direktor", "procurment" and
"manajer pembeliaan" still count. Without `expecting` a title counts only when the prospect
says it is theirs ("saya", "sebagai", "I'm", "as") or the message is little more than the
title; "CEO kami" or "my boss" names the approver, not the speaker.

Role from title: owners, founders, C-level, directors, GMs and heads are decision makers;
managers co-decide; staff, PICs, purchasing, engineers and analysts influence;
admins, secretaries and assistants are gatekeepers; students are not buyers. The decision
process then adjusts it: a decision maker who needs approval or a committee co-decides; a
prospect with no title who needs approval is an influencer; one who decides alone is a
decision maker.
"""

import re
from itertools import accumulate
from typing import Final

from rapidfuzz import fuzz

from dialogs.extract.gate import cues, gated
from dialogs.extract.money import budget_in
from dialogs.extract.text import normalize
from dialogs.slots import Authority, DecisionProcess, Role

# (normalised title, role, spellings). Spellings of 5+ characters also match with typos.
_TITLES: Final[tuple[tuple[str, Role, tuple[str, ...]], ...]] = (
    (
        "owner",
        "decision_maker",
        ("owner", "pemilik", "pemilik usaha", "business owner", "bos", "boss", "juragan"),
    ),
    ("founder", "decision_maker", ("founder", "co-founder", "cofounder", "pendiri")),
    ("ceo", "decision_maker", ("ceo", "chief executive officer")),
    ("cto", "decision_maker", ("cto", "chief technology officer")),
    ("cfo", "decision_maker", ("cfo", "chief financial officer")),
    ("coo", "decision_maker", ("coo", "chief operating officer")),
    ("cmo", "decision_maker", ("cmo", "chief marketing officer")),
    ("cio", "decision_maker", ("cio",)),
    (
        "president director",
        "decision_maker",
        (
            "direktur utama",
            "dirut",
            "presdir",
            "presiden direktur",
            "president director",
            "managing director",
        ),
    ),
    ("director", "decision_maker", ("direktur", "director", "direktor")),
    ("general manager", "decision_maker", ("gm", "general manager")),
    ("vice president", "decision_maker", ("vp", "vice president")),
    (
        "head of procurement",
        "decision_maker",
        (
            "head of procurement",
            "kepala pengadaan",
            "kepala procurement",
            "head procurement",
            "kepala pembelian",
            "head of purchasing",
        ),
    ),
    (
        "head",
        "decision_maker",
        ("head of", "kepala divisi", "kepala bagian", "kepala departemen", "kadiv"),
    ),
    (
        "procurement manager",
        "co_decision_maker",
        (
            "manajer pembelian",
            "manager pembelian",
            "manajer pengadaan",
            "procurement manager",
            "purchasing manager",
            "manager procurement",
            "manajer procurement",
            "manager purchasing",
        ),
    ),
    ("manager", "co_decision_maker", ("manajer", "manager", "menejer", "manejer")),
    (
        "purchasing",
        "influencer",
        (
            "purchasing",
            "procurement",
            "pembelian",
            "pengadaan",
            "staff purchasing",
            "staf pengadaan",
            "buyer",
        ),
    ),
    ("supervisor", "influencer", ("supervisor", "spv")),
    ("pic", "influencer", ("pic", "person in charge")),
    ("staff", "influencer", ("staff", "staf", "employee", "engineer", "analyst", "analis")),
    ("staff", "influencer", ("programmer", "developer", "operator")),
    ("consultant", "influencer", ("konsultan", "consultant")),
    ("secretary", "gatekeeper", ("sekretaris", "secretary", "asisten", "assistant")),
    ("admin", "gatekeeper", ("admin", "administrasi", "resepsionis", "receptionist")),
    ("student", "not_a_buyer", ("mahasiswa", "mahasiswi", "student", "pelajar", "siswa")),
)
# An n-gram is only compared with spellings of n words, so "saya manajer pembelian" cannot
# pass for "manajer pembelian" with a word too many; and typos rarely hit the first letter,
# so spellings are grouped by (word count, first letter) and each lookup is a handful.
_EXACT: Final = {s: i for i, (_, _, spellings) in enumerate(_TITLES) for s in spellings}
_GROUP_KEYS: Final = {(len(s.split()), s[0]) for s in _EXACT}
# n-grams of up to four words, longest first; sizes no spelling has are skipped
_SIZES: Final = tuple(n for n in (4, 3, 2, 1) if any(size == n for size, _ in _GROUP_KEYS))
_TYPO_CUTOFF: Final = 86.0


def _near_spellings() -> dict[tuple[int, str, int], tuple[tuple[str, int], ...]]:
    """(word count, first letter, n-gram length) -> (spelling, title index), in _TITLES order.

    fuzz.ratio is 200 * matches / (len(a) + len(b)), and matches <= the shorter length, so a
    spelling much longer or shorter than the n-gram cannot reach the cutoff; leaving it out
    saves the call and cannot change the best match (the bound leaves a little to spare).
    """
    near: dict[tuple[int, str, int], tuple[tuple[str, int], ...]] = {}
    longest = max(len(s) for s in _EXACT)
    for size, first in _GROUP_KEYS:
        group = [
            (s, i)
            for i, (_, _, spellings) in enumerate(_TITLES)
            for s in spellings
            if (len(s.split()), s[0]) == (size, first)
        ]
        for length in range(5, 2 * longest + 1):
            fits = tuple(
                (s, i)
                for s, i in group
                if 200 * min(length, len(s)) >= (_TYPO_CUTOFF - 0.01) * (length + len(s))
            )
            if fits:
                near[size, first, length] = fits
    return near


_NEAR: Final = _near_spellings()
# (word count, first letter, length) of every n-gram that can be a title, exact or near
_SHAPES: Final = {(len(s.split()), s[0], len(s)) for s in _EXACT} | set(_NEAR)
_NYA: Final = re.compile(r"(?<=\w{3})nya$")
_WORDS: Final = re.compile(r"[a-z][a-z-]*")

_FIRST_PERSON: Final = re.compile(
    r"\b(?:saya|sebagai|selaku|jabatan|posisi|i'?m|i am|as|my role|my title|kerja jadi|aku)\b"
)
_SELF_BEFORE: Final = re.compile(
    r"\b(?:saya|sebagai|selaku|i'?m|i am|as)\s+(?:(?:a|an|the|seorang|sbg)\s+)?$"
)
# "direktur saya" is my director, but "owner saya sendiri" is "the owner is me"
_SELF_AFTER: Final = re.compile(r"^\s*(?:saya|aku|nya)? ?sendiri\b")
_THIRD_PARTY: Final = re.compile(r"^\s*(?:kami|saya|kita|our|nya)\b(?!\s+sendiri)")
_THIRD_BEFORE: Final = re.compile(
    r"(?:\b(?:our|my|ke|sama|dengan|tanya|izin|ijin|oleh|by|ask|from|approval|persetujuan)|"
    r"\bkeputusan(?:nya)?(?: \w+)?(?: ada)? di(?: tangan)?|\bis with)\s+"
    r"(?:the\s+|pak\s+|bu\s+|our\s+)?$"
)

# gated(): re.compile behind a check for the words every match needs (see gate.py).
_LIMIT: Final = gated(
    r"(?:kalau|kalo|if|jika|untuk|for|under|di ?bawah|<|below|up to|sampai)[^.]{0,45}?"
    r"(?:sendiri|myself|on my own|alone)|"
    r"(?:sendiri|myself)[^.]{0,30}(?:kalau|jika|if|under|di ?bawah|<)"
)
_SOLO: Final = re.compile(
    r"saya (?:sendiri )?yang (?:memutuskan|putuskan|mutusin|ambil keputusan|approve|"
    r"tanda tangan)|keputusan (?:ada )?di (?:saya|tangan saya)|"
    r"saya (?:bisa |yang )?(?:approve|putuskan) sendiri|"
    r"i (?:make the|am the) decision|i decide|my call|i sign off|i can approve|"
    r"saya (?:pengambil|decision maker)|i'?m the decision maker|saya decision maker|"
    r"tidak (?:perlu|butuh|usah) (?:approval|persetujuan|izin|acc)|no approval needed|"
    r"(?:don'?t|do not) need (?:anyone'?s |any )?approval"
)
_RESEARCHER: Final = gated(
    r"(?:diminta|disuruh|ditugaskan|asked to|tasked to)\s+(?:untuk\s+|to\s+)?(?:cari|mencari|"
    r"kumpulin|mengumpulkan|collect|gather|look for|find)\s+(?:\w+\s+)?(?:info|informasi|data|"
    r"referensi|penawaran|quotes?|options)|(?:cuma|hanya|lagi|sedang|just)\s+(?:cari|mencari|"
    r"gathering|collecting)\s+info|doing (?:some )?research for"
)
_COMMITTEE: Final = re.compile(
    r"diputuskan (?:oleh )?(?:manajemen|direksi|tim|bersama|board|rapat)|keputusan bersama|"
    r"keputusan (?:\w+ )?(?:ada )?di (?:manajemen|direksi|board|tim|rapat)|"
    r"rapat (?:direksi|manajemen)|committee|komite|board|dibahas (?:dulu )?(?:di )?internal|"
    r"decided by (?:the )?(?:management|board|team)|voting|musyawarah"
)
_DECIDES: Final = re.compile(r"approve|putuskan|sendiri")
_COMMITTEE_WHO: Final = re.compile(r"manajemen|direksi|board|management|\btim\b|team")
_TENDER: Final = gated(
    r"\btender\b|\blelang\b|\brfp\b|\brfq\b|e-?procurement|e-?katalog|\blpse\b|pengadaan resmi"
)
_APPROVER: Final = gated(
    r"(?:tanya(?:in|kan)?|nanya|izin|ijin|konsultasi|diskusi|lapor|persetujuan|approval|acc|"
    r"check with|ask|"
    r"approve|approved|sign-?off|diputuskan|decided|putuskan|memutuskan|mutusin|sampaikan|"
    r"teruskan|forward|laporkan|ajukan|keputusan(?:nya)?(?: akhir)?)\s+(?:(?:dulu|ke|dari|"
    r"dengan|sama|from|my|the|our|by|oleh|pak|bu|is|with|ada|di|tangan|at|lies|rests)\s+)*"
    r"(?P<who>atasan|bos|boss|direktur|direksi|manajemen|management|"
    r"owner|pemilik|cfo|ceo|gm|pusat|hq|finance|keuangan|komisaris|manager|manajer|pimpinan|"
    r"partner|director|supervisor|head office)\b|"
    # "atasan saya yang memutuskan": someone else decides, even though "saya" is there
    r"\b(?P<who2>atasan|bos|boss|direktur|direksi|manajemen|owner|pemilik|pimpinan|partner)"
    r"\s+(?:saya|kami|kita)\s+yang\s+(?:memutuskan|putuskan|mutusin|approve|tentukan)|"
    # "need CFO approval": the approver named before the word
    r"\b(?P<who3>cfo|ceo|coo|cto|gm|direktur|direksi|owner|bos|boss|atasan|manager|finance)"
    r"(?:'s)?\s+(?:approval|persetujuan|sign-?off|acc)\b"
)
_NEEDS_APPROVAL: Final = gated(
    r"(?<!tidak )(?<!no )(?<!don't )(?:harus|perlu|butuh|need|needs|nunggu|menunggu|"
    r"waiting for)\s+(?:\w+\s+)?"
    r"(?:approval|persetujuan|acc|izin|ijin|sign-?off)|tanya (?:\w+ )?dulu"
)


def _typo(gram: str, size: int) -> int | None:
    """The title `gram` misspells (the best ratio; the first title on a tie), or None."""
    best, index = 0.0, None
    for spelling, owner in _NEAR.get((size, gram[0], len(gram)), ()):
        score = fuzz.ratio(gram, spelling, score_cutoff=_TYPO_CUTOFF)
        if score >= _TYPO_CUTOFF and score > best:
            best, index = score, owner
    return index


def _titles(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """(start, end, title index) of each title in `text` (words at `spans`), exact or typo."""
    # "ownernya", "direkturnya": the -nya suffix would hide the title from the ratio
    words = [_NYA.sub("", w) if w.endswith("nya") else w for w in (text[a:b] for a, b in spans)]
    ends = list(accumulate((len(w) + 1 for w in words), initial=0))  # ends[i]: words[:i]
    hits: list[tuple[int, int, int]] = []
    taken: set[int] = set()
    for size in _SIZES:
        for i in range(len(words) - size + 1):
            # no spelling of `size` words, exact or near, starts so and is so long: no match
            if (size, words[i][0], ends[i + size] - ends[i] - 1) not in _SHAPES:
                continue
            if taken and not taken.isdisjoint(range(i, i + size)):
                continue
            gram = " ".join(words[i : i + size])
            index = _EXACT.get(gram)
            if index is None and len(gram) >= 5:
                index = _typo(gram, size)
            if index is not None:
                hits.append((spans[i][0], spans[i + size - 1][1], index))
                taken.update(range(i, i + size))
    return sorted(hits)


# Every decision process below needs one of these patterns to match.
_PROCESS_CUES: Final = cues(_LIMIT, _TENDER, _COMMITTEE, _APPROVER, _NEEDS_APPROVAL, _SOLO)


def _process(text: str) -> tuple[DecisionProcess | None, str | None, int | None]:
    if _PROCESS_CUES.search(text) is None:
        return None, None, None
    if _LIMIT.search(text) and (_SOLO.search(text) or _DECIDES.search(text)):
        limit = budget_in(text, limits=True)
        if limit is not None and limit.max is not None:
            return "solo_below_limit", None, limit.max
    if _TENDER.search(text):
        return "tender", None, None
    if committee := _COMMITTEE.search(text):
        who = _COMMITTEE_WHO.search(committee.group(0))
        return "committee", who.group(0) if who else None, None
    if approval := _APPROVER.search(text):
        name = approval.group("who") or approval.group("who2") or approval.group("who3")
        return "needs_approval", name, None
    if _NEEDS_APPROVAL.search(text):
        return "needs_approval", None, None
    if _SOLO.search(text):
        return "solo", None, None
    return None, None, None


def authority_in(norm: str, *, expecting: bool = False) -> Authority | None:
    """Authority from already-normalised text."""
    process_, approver, limit = _process(norm)
    title: str | None = None
    role: Role = "unknown"
    spans = [m.span() for m in _WORDS.finditer(norm)]
    short = len(spans) <= 4
    for at, end, index in _titles(norm, spans):
        name, title_role, _ = _TITLES[index]
        before = norm[max(0, at - 25) : at]
        # "tanya direktur" and "direktur saya" name someone else; "sebagai direktur saya
        # setuju" is the speaker, so a self cue right before the title wins over "saya" after
        third = _THIRD_BEFORE.search(before) or (
            not _SELF_BEFORE.search(before) and _THIRD_PARTY.match(norm[end:])
        )
        if third:
            approver = approver or name
            continue
        mine = _FIRST_PERSON.search(before) or _SELF_AFTER.match(norm[end:])
        if expecting or short or mine:
            title, role = name, title_role
            break
    if title is None and _RESEARCHER.search(norm):
        role = "researcher"  # gathering options for someone else, no title given
    if process_ is None and title is None and role == "unknown":
        return None
    if process_ in ("needs_approval", "committee", "tender"):
        role = "co_decision_maker" if role == "decision_maker" else role
        role = "influencer" if role == "unknown" else role
    elif process_ == "solo" and role in ("unknown", "influencer", "co_decision_maker"):
        role = "decision_maker"
    elif process_ == "solo_below_limit" and role == "unknown":
        role = "co_decision_maker"
    return Authority(
        role=role, decision_process=process_, approver=approver, title=title, approval_limit=limit
    )


def extract_authority(text: str, *, expecting: bool = False) -> Authority | None:
    """Who the prospect is in the decision, or None. `expecting`: the role was just asked."""
    return authority_in(normalize(text), expecting=expecting)
