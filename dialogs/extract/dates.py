"""Calendar arithmetic for timelines: Jakarta dates, month/quarter windows, buckets, holidays."""

from calendar import monthrange
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from dialogs.slots import TimelineBucket

JAKARTA: Final = ZoneInfo("Asia/Jakarta")
Window = tuple[date, date]  # first and last day, both included

# Idul Fitri (1 Syawal) as announced for Indonesia; Ramadan starts about 30 days earlier.
LEBARAN: Final[dict[int, date]] = {
    2024: date(2024, 4, 10), 2025: date(2025, 3, 31), 2026: date(2026, 3, 20),
    2027: date(2027, 3, 10), 2028: date(2028, 2, 27), 2029: date(2029, 2, 14),
    2030: date(2030, 2, 5),
}  # fmt: skip
IMLEK: Final[dict[int, date]] = {
    2025: date(2025, 1, 29), 2026: date(2026, 2, 17), 2027: date(2027, 2, 6),
    2028: date(2028, 1, 26), 2029: date(2029, 2, 13), 2030: date(2030, 2, 3),
}  # fmt: skip

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


MOVING_EVENTS: Final = frozenset(
    {
        "lebaran",
        "idul fitri",
        "idulfitri",
        "eid",
        "ramadan",
        "ramadhan",
        "puasa",
        "imlek",
        "chinese new year",
    }
)


def event_day(event: str, year: int, *, after: bool) -> date | None:
    """The day of a holiday in `year`; "after puasa" means after the fast, i.e. lebaran."""
    if event in ("natal", "christmas"):
        return date(year, 12, 25)
    if event in ("tahun baru", "new year"):
        return date(year, 1, 1)
    if event in ("imlek", "chinese new year"):
        return IMLEK.get(year)
    lebaran = LEBARAN.get(year)
    if lebaran is None:
        return None
    if event in ("ramadan", "ramadhan", "puasa") and not after:
        return lebaran - timedelta(days=30)  # the fast starts about 30 days before
    return lebaran
