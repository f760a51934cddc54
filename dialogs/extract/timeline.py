"""When the prospect wants to start: phrases read as Asia/Jakarta calendar windows, and a bucket.

Rules that are decisions (tested in test_extract_timeline.py):

* Calendar phrases are whole windows: "bulan depan" is the whole next month, "Q3" July to
  September, "akhir tahun" October to December, "tahun depan" the whole next year. A window
  that has already begun starts today ("bulan ini", "Q2" said in May).
* A bare recurring period that is already over this year (a quarter, semester, month name)
  means its next occurrence: "Q1" said in August is Q1 of next year. Nobody plans a purchase
  in the past. With an explicit past year ("Q1 2025") the bucket is needs_clarification.
* A moving event anchor already past this year ("setelah lebaran" in May) may mean the one
  just gone or next year's: the window is next year's and the bucket needs_clarification.
* Offsets are points: "3 bulan lagi" / "in 6 weeks" start then and last one unit.
* Deadlines ("paling lambat 30 Juni", "sebelum Q3", "dalam 3 bulan", "6 bulan ke depan")
  start today and end at the deadline; their bucket comes from the deadline, not from today,
  because "within 6 months" is a 3-6 month lead, not an immediate one.
* Urgency ("secepatnya", "ASAP", "urgent") is today plus two weeks.
* Buckets compare the window start with today: <= 14 days, <= 1, 3, 6, 12 months, beyond.
"""

import re
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Final

from dialogs.extract.dates import (
    EVENTS,
    Window,
    add_months,
    bucket_of,
    event_day,
    modified,
    month_window,
    recurring,
    shift,
    today_in_jakarta,
)
from dialogs.extract.gate import cues, gated
from dialogs.extract.text import WORD_NUMBERS, mentions, normalize
from dialogs.slots import Timeline, TimelineBucket

_MONTHS: Final[dict[str, int]] = {
    "januari": 1, "january": 1, "jan": 1, "februari": 2, "february": 2, "feb": 2,
    "maret": 3, "march": 3, "mar": 3, "april": 4, "apr": 4, "mei": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6, "juli": 7, "july": 7, "jul": 7, "agustus": 8,
    "august": 8, "agu": 8, "ags": 8, "aug": 8, "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10, "november": 11, "nov": 11,
    "desember": 12, "december": 12, "des": 12, "dec": 12,
}  # fmt: skip
# Short forms that are also words ("may", "mar", "des"): they need a day, a year or a cue.
_ABBREVIATIONS: Final = frozenset(
    {"jan", "feb", "mar", "apr", "may", "jun", "jul", "agu", "ags", "aug", "sep", "sept"}
    | {"okt", "oct", "nov", "des", "dec"}
)
_ORDINAL: Final[dict[str, int]] = {
    "pertama": 1, "first": 1, "kedua": 2, "second": 2, "ketiga": 3, "third": 3,
    "keempat": 4, "fourth": 4, **{k: v for k, v in WORD_NUMBERS.items() if v <= 4 and len(k) > 2},
}  # fmt: skip
_NUM: Final = (
    r"\d{1,3}(?:[.,]5)?|a few|few|beberapa|"
    + "|".join(k for k in WORD_NUMBERS if len(k) > 1)
    + "|a|an"
)
_YEAR: Final = (
    r"(?:\s*(?:tahun\s*)?(?P<year>20\d\d|'\d\d|tahun depan|next year|tahun ini|this year))?"
)
_MOD: Final = (
    r"(?:(?P<mod>awal|early|beginning of|pertengahan|tengah|mid|middle of|akhir|end of|late)\s*)?"
)

# gated(): re.compile behind a check for the words every match needs (see gate.py).
_NO_PLAN: Final = gated(
    r"tidak (?:urgent|urgen|buru-buru|terburu|mendesak|dalam waktu dekat)|not urgent|no rush|"
    r"no hurry|(?:belum|tidak) ada (?:rencana|plan|timeline|target)|no plans?\b|no timeline|"
    r"\bsantai\b|kapan-kapan|someday|not anytime soon|not in a hurry|belum (?:ada )?target"
)
_UNKNOWN_ASKED: Final = re.compile(
    r"^(?:belum tahu|tidak tahu|belum pasti|tidak pasti|not sure|don'?t know|tbd|no idea|"
    r"masih dibahas|belum ditentukan|tergantung)"
)
_URGENT: Final = gated(
    r"\b(?:secepatnya|asap|as soon as possible|urgent|urgen|segera|sekarang juga|immediately|"
    r"right away|buru-buru|mendesak|sesegera mungkin|minggu ini|this week|hari ini|today|"
    r"urgently)\b"
)
_DEADLINE_BEFORE: Final = re.compile(
    r"(?:paling lambat|paling telat|selambat-lambatnya|sebelum|maksimal|maks|max|by|before|"
    r"deadline|no later than|harus sudah|latest)\s*(?:tanggal\s*)?"
    r"(?:(?:promo|harbolnas|event|acara|campaign)\s*)?(?:(?:akhir|end of|the end of)\s*)?$"
)
_LATE_START: Final = re.compile(r"(?:akhir|end of|late)\b")
_BEFORE_WORD: Final = re.compile(
    r"(?:sebelum|before)\s*(?:tanggal\s*)?(?:(?:promo|harbolnas|event|acara|campaign)\s*)?$"
)

_QUARTER_RE: Final = gated(
    _MOD + r"\b(?:q|kuartal|quarter|triwulan|tw)\s?-?\s?(?:ke-?\s?)?"
    r"(?P<q>[1-4]|satu|dua|tiga|empat|pertama|kedua|ketiga|keempat|first|second|third|fourth)\b"
    + _YEAR
)
_HALF_RE: Final = re.compile(
    r"\b(?:semester|smt|h|paruh)\s?-?\s?(?:ke-?\s?)?(?P<h>[12]|satu|dua|pertama|kedua)\b"
    + _YEAR
    + r"|\b(?P<eh>first|second) half\b|\b(?P<next>semester depan|next semester|"
    r"semester berikutnya|paruh kedua|second half)\b" + _YEAR.replace("year", "year2")
)
_MONTH_RE: Final = gated(
    _MOD
    + r"(?:(?P<day>\d{1,2})(?:-?an)?\s+)?(?:bulan\s+)?(?P<month>"
    + "|".join(sorted(_MONTHS, key=len, reverse=True))
    + r")\b(?:\s+(?P<day2>\d{1,2})(?:st|nd|rd|th)?\b)?(?:\s+(?P<year>20\d\d))?"
)
_RELATIVE_RE: Final = gated(
    _MOD + r"(?P<what>bulan depan|next month|bulan berikutnya|bulan ini|this month|minggu depan|"
    r"kuartal depan|next quarter|quarter depan|kuartal berikutnya|kuartal ini|this quarter|"
    r"pekan depan|next week|minggu berikutnya|tahun depan|next year|tahun berikutnya|"
    r"tahun ini|this year|bulan|tahun|(?:the )?year|(?:the )?month|besok|tomorrow|lusa)\b"
)
# "by year end", "year-end": the last quarter of this year
_YEAR_END_RE: Final = gated(r"\b(?:this\s+)?year[- ]end\b")
# "mid-year", "midyear": June to August
_MID_YEAR_RE: Final = gated(r"\bmid[- ]?year\b")
_DAY_NEXT_MONTH_RE: Final = gated(
    r"\b(?:tanggal|tgl|on the)\s*(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:bulan depan|next month|"
    r"of next month)\b"
)
_OFFSET_RE: Final = gated(
    r"\b(?P<lead>dalam(?: waktu| masa)?|within|in|next|sekitar)?\s*"
    r"(?:(?P<n0>\d{1,3})\s*(?:-|–|sampai|atau|or|to)\s*)?"
    rf"(?P<n>{_NUM})\s*-?\s*"
    r"(?P<u>hari|minggu|pekan|bulan|tahun|days?|weeks?|months?|years?)\b"
    r"(?:\s*(?P<tail>lagi|ke ?depan|dari sekarang|from now|mendatang|later))?"
)
_EVENT_RE: Final = gated(
    r"\b(?P<rel>setelah|sesudah|habis|abis|after|pasca|selesai|sebelum|before|menjelang|"
    r"sateuacan|sadurunge|sakdurunge|sabada|saparantos)?\s*"
    r"(?P<ev>" + "|".join(re.escape(k) for k in sorted(EVENTS, key=len, reverse=True)) + r")"
    r"\b(?:\s+(?P<year>20\d\d))?"
    r"(?:\s+(?P<over>beres|kelar|selesai|usai|lewat|rampung|is over|ends))?"
)
# "bulan 5", "bln 11": a month by its number (not "5 bulan", a count)
_MONTH_NUMBER_RE: Final = gated(
    r"\bbulan\s+(?P<month>1[0-2]|0?[1-9])\b(?!\s*(?:bulan|hari|minggu|lagi|kali|x))"
    r"(?:\s+(?:tahun\s+)?(?P<year>20\d\d|depan|tahun depan|next year))?"
)
# "2028", "2028an", "paling cepat 2028": a year on its own (a date's year is read with it)
_BARE_YEAR_RE: Final = re.compile(r"(?<![\d/.-])(?P<year>20[2-4]\d)(?:-?an)?\b(?![/.-]\d)")
_BUDGET_YEAR: Final = re.compile(
    r"(?:anggaran|budget|rka|rab|apbd|apbn|fiscal|fiskal|fy|tahun anggaran|rencana kerja)"
    r"(?:\s+\w+)?\s*$"
)
# "promo 11.11", "harbolnas 12.12": the shopping days named by their date
_SHOPPING_DAY_RE: Final = re.compile(r"\b(?P<d>(?:1[0-2]|[1-9]))\.(?P=d)\b")
# A date said for a meeting or a demo is not when the project starts.
_MEETING: Final = re.compile(
    r"\b(?:demo|presentasi|presentation|present|pitch|meeting|rapat|shortlist|ketemu|ketemuan|bertemu|call|zoom|gmeet|"
    r"visit|kunjungan|datang|jadwal(?:kan)?|schedule|appointment|janjian|telpon|telepon|"
    r"ditelpon|ditelepon|hubungi|dihubungi|phone)\b"
)
# ... unless the clause says the project starts then: "habis rapat direksi Juni langsung jalan"
_STARTS: Final = re.compile(
    r"\b(?:mulai|start(?:s|ing)?|jalan|go[- ]?live|live|launch|pakai|pake|implementasi|"
    r"implement(?:ation)?|running|rollout|roll out|onboard(?:ing)?|aktif)\b"
)
# "eh maksud saya ...": what comes after a correction is what they meant
_CORRECTION: Final = re.compile(
    r"\b(?:eh|maksud(?:nya)?|maksud (?:saya|sy|aku|gue)|ralat|koreksi|sorry|i mean|"
    r"salah(?: ketik| tulis)?|eh bukan)\b"
)
_DATE_RE: Final = re.compile(
    r"\b(?:(?P<iy>20\d\d)-(?P<im>\d{1,2})-(?P<id>\d{1,2})|"
    r"(?P<d>\d{1,2})[/-](?P<m>\d{1,2})(?:[/-](?P<y>20\d\d|\d\d))?)\b"
)
_ADDRESS_BEFORE: Final = re.compile(r"\b(?:jalan|jl|jln|gang|gg|street|st)\.?\s*$")
_SHORT_MONTH_CUE: Final = re.compile(
    r"(?:bulan|in|by|before|awal|akhir|pertengahan|mid|early|late|end of|sebelum|mulai|start|"
    r"week of|tanggal|\d)\s*$"
)


@dataclass(frozen=True, slots=True)
class _Found:
    at: int  # position in the text: of the most specific phrases, the earliest wins
    window: Window
    clarify: bool = False
    deadline: bool = False
    coarse: bool = False  # a quarter, a half or a year: a month or a date said too wins


def _year_of(token: str | None, today: date) -> int | None:
    if not token:
        return None
    if token in ("tahun depan", "next year", "depan"):
        return today.year + 1
    if token in ("tahun ini", "this year"):
        return today.year
    return 2000 + int(token[1:]) if token.startswith("'") else int(token)


def _count(token: str) -> int:
    if token[:1].isdigit():
        return int(re.split(r"[.,]", token)[0])
    if token in ("a few", "few", "beberapa"):
        return 3
    return WORD_NUMBERS.get(token, 1)


_MOD_THIRD: Final[dict[str, int]] = {"awal": 0, "early": 0, "beginning of": 0}
_MOD_THIRD.update({"akhir": 2, "end of": 2, "late": 2})


def _quarter(m: re.Match[str], today: date) -> tuple[Window, bool] | None:
    q = _ORDINAL.get(m.group("q")) or int(m.group("q"))
    # "awal Q4" is its first month, "pertengahan Q4" the second, "akhir Q4" the last
    mod = m.group("mod")
    offset = 0 if mod is None else _MOD_THIRD.get(mod, 1)

    def window_for(y: int) -> Window:
        if mod is None:
            return date(y, 3 * q - 2, 1), month_window(y, 3 * q)[1]
        return month_window(y, 3 * q - 2 + offset)

    return recurring(window_for, _year_of(m.group("year"), today), today)


def _half(m: re.Match[str], today: date) -> tuple[Window, bool] | None:
    if m.group("next"):
        second_half_next = today.month <= 6
        y = today.year if second_half_next else today.year + 1
        return (
            (date(y, 7, 1), date(y, 12, 31))
            if second_half_next
            else (date(y, 1, 1), date(y, 6, 30))
        ), False
    token = m.group("h") or m.group("eh")
    second = token in ("2", "dua", "kedua", "second")
    year = _year_of(m.group("year") or m.group("year2"), today)
    if second:
        return recurring(lambda y: (date(y, 7, 1), date(y, 12, 31)), year, today)
    return recurring(lambda y: (date(y, 1, 1), date(y, 6, 30)), year, today)


RECENT: Final = timedelta(days=60)


def _month_name(m: re.Match[str], text: str, today: date) -> tuple[Window, bool] | None:
    name = m.group("month")
    day = m.group("day") or m.group("day2")
    year = int(m.group("year")) if m.group("year") else None
    # "may", "mar", "jun" ... are words too: only with a day, a year or a cue before them
    if _ADDRESS_BEFORE.search(text[max(0, m.start() - 8) : m.start()]):
        return None  # "Jl. 17 Agustus" is a street
    cue = _SHORT_MONTH_CUE.search(text[max(0, m.start() - 12) : m.start()])
    if name in _ABBREVIATIONS and not (day or year or m.group("mod") or cue):
        return None
    month = _MONTHS[name]

    def window_for(y: int) -> Window | None:
        if day is None:
            return modified(month_window(y, month), m.group("mod"))
        if not 1 <= int(day) <= monthrange(y, month)[1]:
            return None
        return date(y, month, int(day)), date(y, month, int(day))

    if day is not None:
        return _dated(window_for, year, today)
    return recurring(window_for, year, today)


def _relative(m: re.Match[str], today: date) -> tuple[Window, bool] | None:
    what, mod = m.group("what"), m.group("mod")
    if what in ("besok", "tomorrow", "lusa"):
        day = today + timedelta(days=2 if what == "lusa" else 1)
        return (day, day), False
    if what in ("minggu depan", "pekan depan", "next week", "minggu berikutnya"):
        monday = today + timedelta(days=7 - today.weekday())
        return (monday, monday + timedelta(days=6)), False
    if what in ("kuartal depan", "next quarter", "quarter depan", "kuartal berikutnya"):
        first = add_months(today.replace(day=1), 3 - (today.month - 1) % 3)
        last = add_months(first, 2)
        return (first, month_window(last.year, last.month)[1]), False
    if what in ("kuartal ini", "this quarter"):
        first = add_months(today.replace(day=1), -((today.month - 1) % 3))
        if mod is not None:  # "akhir kuartal ini": its last month
            month = add_months(first, _MOD_THIRD.get(mod, 1))
            return month_window(month.year, month.month), False
        last = add_months(first, 2)
        return (first, month_window(last.year, last.month)[1]), False
    if what in ("bulan depan", "next month", "bulan berikutnya"):
        following = add_months(today.replace(day=1), 1)
        return modified(month_window(following.year, following.month), mod), False
    if what in ("tahun depan", "next year", "tahun berikutnya"):
        y = today.year + 1
        return modified((date(y, 1, 1), date(y, 12, 31)), mod), False
    if what in ("bulan ini", "this month"):
        return modified(month_window(today.year, today.month), mod), False
    if what in ("tahun ini", "this year"):
        return modified((date(today.year, 1, 1), date(today.year, 12, 31)), mod), False
    if mod is None:
        return None  # a bare "bulan"/"tahun": counted by offsets, not a window
    if what in ("bulan", "month", "the month"):
        return modified(month_window(today.year, today.month), mod), False
    return recurring(lambda y: modified((date(y, 1, 1), date(y, 12, 31)), mod), None, today)


def _half_more(day: date, unit: str) -> date:
    """Half a unit after `day`: "1,5 bulan lagi"."""
    if unit.startswith(("hari", "day")):
        return day
    if unit.startswith(("minggu", "pekan", "week")):
        return day + timedelta(days=3)
    if unit.startswith(("bulan", "month")):
        return day + timedelta(days=15)
    return add_months(day, 6)


def _offset(m: re.Match[str], today: date) -> _Found | None:
    lead, tail = m.group("lead"), m.group("tail")
    n, unit = _count(m.group("n")), m.group("u")
    if m.group("n")[-2:] in (".5", ",5"):  # "1,5 bulan": read the half too
        half = _half_more(shift(today, n, unit), unit)
        if lead in ("dalam", "dalam waktu", "dalam masa", "within", "next"):
            return _Found(m.start(), (today, half), deadline=True)
        return _Found(m.start(), (half, half + timedelta(days=13)))
    if lead in ("dalam", "dalam waktu", "dalam masa", "within", "next") or tail in (
        "ke depan",
        "kedepan",
        "mendatang",
    ):
        return _Found(m.start(), (today, shift(today, n, unit)), deadline=True)
    if lead == "in" or tail in ("lagi", "dari sekarang", "from now", "later"):
        # "2-3 bulan lagi": from the nearer end to the farther one
        start = shift(today, int(m.group("n0")) if m.group("n0") else n, unit)
        last = shift(today, n + 1, unit) - timedelta(days=1)
        return _Found(m.start(), (start, last))
    return None  # "sudah 5 tahun pakai excel" is not a plan


def _event(m: re.Match[str], today: date) -> _Found | None:
    rel, event = m.group("rel"), EVENTS[m.group("ev")]
    before = rel in ("sebelum", "before", "menjelang", "sateuacan", "sadurunge", "sakdurunge")
    after = (rel is not None and not before) or m.group("over") is not None
    year = int(m.group("year")) if m.group("year") else None
    day = event_day(event, year or today.year, after=after)
    clarify = False
    if day is not None and day < today:
        if year is not None:
            clarify = True  # "setelah lebaran 2025" said in 2026
        else:
            # a yearly event already past means its next one ("imlek" said in March)
            day = event_day(event, today.year + 1, after=after)
    if day is None:
        return None
    if before:
        return _Found(m.start(), (today, day - timedelta(days=1)), clarify=clarify, deadline=True)
    if after:
        return _Found(m.start(), (day + timedelta(days=1), day + timedelta(days=30)), clarify)
    return _Found(m.start(), (day, day + timedelta(days=6)), clarify)


def _date(m: re.Match[str], today: date, *, expecting: bool) -> tuple[Window, bool] | None:
    if m.group("iy"):
        y, mo, d = int(m.group("iy")), int(m.group("im")), int(m.group("id"))
    else:
        if not (m.group("y") or expecting):
            return None  # "1/2" without a year is as likely a fraction
        y = int(m.group("y")) if m.group("y") else 0
        y = y + 2000 if 0 < y < 100 else y
        mo, d = int(m.group("m")), int(m.group("d"))
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None

    def window_for(year: int) -> Window | None:
        if d > monthrange(year, mo)[1]:
            return None
        return date(year, mo, d), date(year, mo, d)

    return _dated(window_for, y or None, today)


def _dated(
    window_for: Callable[[int], Window | None], year: int | None, today: date
) -> tuple[Window, bool] | None:
    """A day without a year is this year's; one gone by less than RECENT ago was most likely
    meant as that one (a date in the past: needs clarification), an older one is next year's."""
    if year is None:
        this_year = window_for(today.year)
        if this_year is not None and today - RECENT <= this_year[1] < today:
            return this_year, True
    return recurring(window_for, year, today)


# Every candidate below needs one of these patterns to match.
_CANDIDATE_CUES: Final = cues(
    _QUARTER_RE,
    _HALF_RE,
    _MONTH_RE,
    _DAY_NEXT_MONTH_RE,
    _RELATIVE_RE,
    _DATE_RE,
    _OFFSET_RE,
    _EVENT_RE,
    _MONTH_NUMBER_RE,
    _YEAR_END_RE,
    _MID_YEAR_RE,
)


def _candidates(text: str, today: date, *, expecting: bool) -> list[_Found]:
    found: list[_Found] = []
    if _CANDIDATE_CUES.search(text) is None:
        return found

    def add(m: re.Match[str], result: tuple[Window, bool] | None, *, coarse: bool = False) -> None:
        if result is not None:
            found.append(_Found(m.start(), result[0], clarify=result[1], coarse=coarse))

    for m in _QUARTER_RE.finditer(text):
        add(m, _quarter(m, today), coarse=True)
    for m in _HALF_RE.finditer(text):
        add(m, _half(m, today), coarse=True)
    for m in _MONTH_RE.finditer(text):
        add(m, _month_name(m, text, today))
    for m in _DAY_NEXT_MONTH_RE.finditer(text):
        day = add_months(today.replace(day=1), 1)
        if 1 <= int(m.group("day")) <= month_window(day.year, day.month)[1].day:
            day = day.replace(day=int(m.group("day")))
            add(m, ((day, day), False))
    for m in _RELATIVE_RE.finditer(text):
        if not any(f.at < m.start() <= f.at + 16 for f in found):  # already read as a day
            if _BUDGET_YEAR.search(text[max(0, m.start() - 20) : m.start()]):
                continue  # "anggaran tahun ini udh abis": the budget's year
            add(m, _relative(m, today))
    for m in _DATE_RE.finditer(text):
        add(m, _date(m, today, expecting=expecting))
    for m in _YEAR_END_RE.finditer(text):
        add(m, recurring(lambda y: (date(y, 10, 1), date(y, 12, 31)), None, today))
    for m in _MID_YEAR_RE.finditer(text):
        add(m, recurring(lambda y: (date(y, 6, 1), date(y, 8, 31)), None, today))
    for m in _OFFSET_RE.finditer(text):
        offset = _offset(m, today)
        if offset is not None:
            found.append(offset)
    for m in _EVENT_RE.finditer(text):
        if not m.group("rel") and _ADDRESS_BEFORE.search(text[max(0, m.start() - 8) : m.start()]):
            continue  # "Jl. 17 Agustus" is a street ("harus jalan sebelum ..." is not)
        if not (m.group("rel") or m.group("over") or expecting or mentions(text, "timeline")):
            continue  # "orderan kue natal banyak": a holiday named, not a plan
        event = _event(m, today)
        if event is not None:
            found.append(event)
    for m in _MONTH_NUMBER_RE.finditer(text):
        year = _year_of(m.group("year"), today)
        add(m, recurring(partial(_whole_month, int(m.group("month"))), year, today))
    for m in _SHOPPING_DAY_RE.finditer(text):
        add(m, recurring(partial(_shopping_day, int(m.group("d"))), None, today))
    found = [f for f in found if not _for_a_meeting(text, f.at) and not _denied(text, f.at)]
    if not found:  # a year on its own only when nothing says more ("2028an", not "RKA 2026")
        for m in _BARE_YEAR_RE.finditer(text):
            if _BUDGET_YEAR.search(text[max(0, m.start() - 20) : m.start()]):
                continue  # "anggaran 2026", "RKA 2027": the budget's year, not the start
            y = int(m.group("year"))
            add(m, ((date(y, 1, 1), date(y, 12, 31)), date(y, 12, 31) < today))
    return found


_DENIED: Final = re.compile(r"^[\w\s-]{0,20}?\b(?:belum|tidak|not|no)\b(?!\s+(?:lama|lewat))")


def _denied(text: str, at: int) -> bool:
    """ "tahun ini belum, mungkin 2027": a time said and then said not to be it."""
    end = min([i for i in (text.find(c, at) for c in ",.;!?") if i >= 0], default=len(text))
    return _DENIED.match(text[at:end]) is not None and end - at < 30


def _whole_month(month: int, year: int) -> Window:
    return month_window(year, month)


def _shopping_day(number: int, year: int) -> Window:
    return date(year, number, number), date(year, number, number)


def _clause(text: str, at: int) -> str:
    start = max(text.rfind(c, 0, at) for c in ",.;!?")
    ends = [i for i in (text.find(c, at) for c in ",.;!?") if i >= 0]
    return text[start + 1 : min(ends, default=len(text))]


def _for_a_meeting(text: str, at: int) -> bool:
    clause = _clause(text, at)
    return _MEETING.search(clause) is not None and _STARTS.search(clause) is None


def timeline_in(norm: str, *, now: datetime, expecting: bool = False) -> Timeline | None:
    """Timeline from already-normalised text; `now` is the clock the window is read against."""
    today = today_in_jakarta(now)
    if _NO_PLAN.search(norm):
        return Timeline(bucket="no_plan")
    found = _candidates(norm, today, expecting=expecting)
    if not found:
        urgent = _URGENT.search(norm)
        if urgent is not None and not _for_a_meeting(norm, urgent.start()):
            return Timeline(start=today, end=today + timedelta(days=14), bucket="immediate_<=2w")
        if expecting and _UNKNOWN_ASKED.search(norm):
            return Timeline(bucket="unknown")
        return None
    corrected = _CORRECTION.search(norm)
    if corrected is not None and any(f.at > corrected.start() for f in found):
        found = [f for f in found if f.at > corrected.start()]  # "juni, eh maksud saya juli"
    # "Q3, mungkin Agustus", "semester 2, januari": the month said is what they mean
    specific = [f for f in found if not f.coarse] or found
    # "tender Maret, kontrak Mei, implementasi mulai Juni": the time the start is said of
    specific = [f for f in specific if _STARTS.search(_clause(norm, f.at))] or specific
    first = min(specific, key=lambda f: f.at)
    start, end = first.window
    prefix = norm[max(0, first.at - 30) : first.at]
    deadline = first.deadline
    if not deadline and _DEADLINE_BEFORE.search(prefix):
        deadline = True
        # "sebelum Juni" ends in May, but "before end of June" ends with June
        late = _LATE_START.match(norm, first.at)
        end = start - timedelta(days=1) if _BEFORE_WORD.search(prefix) and not late else end
        start = today
    start = max(start, today) if start <= today <= end or deadline else start
    if first.clarify:
        bucket: TimelineBucket = "needs_clarification"
    else:
        bucket = bucket_of(end if deadline else start, today)
    return Timeline(start=start, end=end, bucket=bucket)


def extract_timeline(text: str, *, now: datetime, expecting: bool = False) -> Timeline | None:
    """When the prospect plans to start, or None. `expecting`: the timeline was just asked."""
    return timeline_in(normalize(text), now=now, expecting=expecting)
