"""Calendar arithmetic for timelines: Jakarta dates, month/quarter windows, buckets, and the
dates of holidays (Idul Fitri, Imlek ... and the collective leave around them) from the
`holidays` package rather than a hand-kept table."""

from calendar import monthrange
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cache
from typing import Final
from zoneinfo import ZoneInfo

import holidays

from dialogs.slots import TimelineBucket

JAKARTA: Final = ZoneInfo("Asia/Jakarta")
Window = tuple[date, date]  # first and last day, both included

_BUCKETS: Final[tuple[tuple[int, TimelineBucket], ...]] = (
    (1, "<=1m"),
    (3, "1-3m"),
    (6, "3-6m"),
    (12, "6-12m"),
)


def today_in_jakarta(now: datetime) -> date:
    """The calendar date in Jakarta at `now` (a naive `now` is read as Jakarta time)."""
    aware = now if now.tzinfo is not None else now.replace(tzinfo=JAKARTA)
    return aware.astimezone(JAKARTA).date()


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the last day of the target month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def month_window(year: int, month: int) -> Window:
    """The whole calendar month."""
    return date(year, month, 1), date(year, month, monthrange(year, month)[1])


def bucket_of(start: date, today: date) -> TimelineBucket:
    """The timeline bucket of a window starting on `start`."""
    if start <= today + timedelta(days=14):
        return "immediate_<=2w"
    for months, bucket in _BUCKETS:
        if start <= add_months(today, months):
            return bucket
    return ">12m"


def recurring(
    window_for: Callable[[int], Window | None], year: int | None, today: date
) -> tuple[Window, bool] | None:
    """The window in `year`, or the next one not yet over; flags an explicit past year."""
    if year is not None:
        window = window_for(year)
        return None if window is None else (window, window[1] < today)
    window = window_for(today.year)
    if window is not None and window[1] < today:
        window = window_for(today.year + 1)
    return None if window is None else (window, False)


def modified(window: Window, mod: str | None) -> Window:
    """Early/mid/late part of a month (1-10, 11-20, 21-end) or a year (Q1, Jun-Aug, Q4)."""
    if mod is None:
        return window
    first, last = window
    early = mod in ("awal", "early", "beginning of")
    late = mod in ("akhir", "end of", "late")
    if first.month == last.month:  # a month: days 1-10, 11-20, 21-end
        if early:
            return first, first.replace(day=10)
        if late:
            return first.replace(day=21), last
        return first.replace(day=11), first.replace(day=20)
    if early:  # a year: Q1, June-August, Q4
        return first, date(first.year, 3, 31)
    if late:
        return date(first.year, 10, 1), last
    return date(first.year, 6, 1), date(first.year, 8, 31)


def shift(day: date, n: int, unit: str) -> date:
    """`day` moved by `n` days, weeks, months or years (unit in either language)."""
    if unit.startswith(("hari", "day")):
        return day + timedelta(days=n)
    if unit.startswith(("minggu", "pekan", "week")):
        return day + timedelta(weeks=n)
    if unit.startswith(("bulan", "month")):
        return add_months(day, n)
    return add_months(day, 12 * n)


# Calendar events prospects plan by, as the words they are written with (normalised).
EVENTS: Final[dict[str, str]] = {
    "lebaran": "eid_fitr",
    "idul fitri": "eid_fitr",
    "idulfitri": "eid_fitr",
    "eid": "eid_fitr",
    "eid al-fitr": "eid_fitr",
    "hari raya": "eid_fitr",
    "mudik": "eid_fitr",
    "cuti bersama": "eid_fitr",  # said alone, the long collective leave is Lebaran's
    "ramadan": "ramadan",
    "ramadhan": "ramadan",
    "puasa": "ramadan",
    "lebaran haji": "eid_adha",
    "idul adha": "eid_adha",
    "iduladha": "eid_adha",
    "natal": "christmas",
    "christmas": "christmas",
    "imlek": "lunar_new_year",
    "chinese new year": "lunar_new_year",
    "lunar new year": "lunar_new_year",
    "cny": "lunar_new_year",
    "nyepi": "nyepi",
    "waisak": "vesak",
    "tahun baru islam": "islamic_new_year",
    "tahun baru": "new_year",
    "new year": "new_year",
    "17 agustus": "independence",
    "17 agustusan": "independence",
    "agustusan": "independence",
    "hari kemerdekaan": "independence",
    "independence day": "independence",
    "tahun ajaran baru": "school_year",
    "ajaran baru": "school_year",
    "new school year": "school_year",
    "tutup buku": "year_end",
    "closing tahun": "year_end",
    "year end closing": "year_end",
    "year-end closing": "year_end",
}
# The holidays package's names (Indonesian, language="id") of the movable feasts.
_HOLIDAY_NAMES: Final[dict[str, str]] = {
    "eid_fitr": "Hari Raya Idul Fitri",
    "eid_adha": "Hari Raya Idul Adha",
    "lunar_new_year": "Tahun Baru Imlek",
    "nyepi": "Hari Suci Nyepi",
    "vesak": "Hari Raya Waisak",
    "islamic_new_year": "Tahun Baru Islam",
}
RAMADAN_DAYS: Final = 30  # the fast ends with Idul Fitri
SCHOOL_YEAR: Final = (7, 15)  # the Indonesian school year starts in mid-July


@cache
def _holidays(year: int) -> dict[date, str]:
    """Indonesia's public holidays and collective leave (cuti bersama) in `year`."""
    calendar = holidays.country_holidays(
        "ID", years=year, categories=("public", "government"), language="id"
    )
    return dict(calendar.items())


def is_day_off(day: date) -> bool:
    """A public holiday or collective leave day in Indonesia."""
    return day in _holidays(day.year)


def _feast(event: str, year: int) -> date | None:
    name = _HOLIDAY_NAMES[event]
    days = [day for day, label in _holidays(year).items() if label.startswith(name)]
    return min(days, default=None)


def _after_leave(day: date) -> date:
    """The first working day after a holiday and the collective leave around it."""
    off = _holidays(day.year) | _holidays(day.year + 1)
    following = day + timedelta(days=1)
    while following in off or following.weekday() >= 5:
        following += timedelta(days=1)
    return following


def event_day(event: str, year: int, *, after: bool) -> date | None:
    """The day of a calendar event in `year` (`event` an EVENTS value). "After" an event means
    its first working day after the collective leave; "after puasa" means after Lebaran."""
    if event == "christmas":
        day: date | None = date(year, 12, 25)
    elif event == "new_year":
        day = date(year, 1, 1)
    elif event == "independence":
        day = date(year, 8, 17)
    elif event == "school_year":
        day = date(year, *SCHOOL_YEAR)
    elif event == "year_end":
        day = date(year, 12, 31)
    elif event == "ramadan":
        lebaran = _feast("eid_fitr", year)
        if lebaran is None:
            return None
        day = lebaran if after else lebaran - timedelta(days=RAMADAN_DAYS)
    else:
        day = _feast(event, year)
    if day is None:
        return None
    if after and event not in ("school_year", "year_end"):
        return _after_leave(day) - timedelta(days=1)  # the window starts the day after this
    return day
