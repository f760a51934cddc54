"""Working hours: when a person on the sales team can get back to a prospect, said honestly.

A handoff made at 22:00 on a Friday is read on Monday morning; the prospect is told so, and
the SDR's SLA runs in working time too (`contact_by`). Pure: the clock is an argument.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Final

from dialogs.extract.dates import JAKARTA, is_day_off

_DAYS: Final = {
    "id": "Senin Selasa Rabu Kamis Jumat Sabtu Minggu".split(),
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(),
}
_MONTHS: Final = {
    "id": "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November "
    "Desember".split(),
    "en": "January February March April May June July August September October November "
    "December".split(),
}


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """The sales team's hours, in Jakarta time (WIB); public holidays are days off."""

    days: frozenset[int] = frozenset(range(5))  # Monday = 0
    start: time = time(9)
    end: time = time(17)
    holidays: bool = True

    def is_working_day(self, moment: datetime) -> bool:
        day = moment.date()
        return day.weekday() in self.days and not (self.holidays and is_day_off(day))

    def next_open(self, moment: datetime) -> datetime:
        """`moment` (in WIB) if the team is at work then, else when it next starts."""
        moment = moment.astimezone(JAKARTA)
        for _ in range(30):  # the longest leave around Lebaran is about ten days
            opening = datetime.combine(moment.date(), self.start, JAKARTA)
            closing = datetime.combine(moment.date(), self.end, JAKARTA)
            if self.is_working_day(moment) and moment < closing:
                return max(moment, opening)
            moment = datetime.combine(moment.date() + timedelta(days=1), self.start, JAKARTA)
        return moment

    def contact_by(self, now: datetime, sla: timedelta) -> datetime:
        """When `sla` of working time has passed since `now`."""
        left = sla
        moment = self.next_open(now)
        for _ in range(60):
            closing = datetime.combine(moment.date(), self.end, JAKARTA)
            if moment + left <= closing:
                return moment + left
            left -= closing - moment
            moment = self.next_open(closing + timedelta(seconds=1))
        return moment + left


def when_text(now: datetime, due: datetime, language: str) -> str:
    """ "hari ini sebelum pukul 11.00 WIB", "besok sebelum 10:00 WIB", "Senin, 18 Mei, ..."."""
    now, due = now.astimezone(JAKARTA), due.astimezone(JAKARTA)
    clock = due.strftime("%H.%M" if language == "id" else "%H:%M")
    if due.date() == now.date():
        day = "hari ini" if language == "id" else "today"
    elif due.date() == now.date() + timedelta(days=1):
        day = "besok" if language == "id" else "tomorrow"
    else:
        names = _DAYS.get(language, _DAYS["en"])
        month = _MONTHS.get(language, _MONTHS["en"])[due.month - 1]
        day = f"{names[due.weekday()]}, {due.day} {month}"
        day = day if language == "id" else f"on {names[due.weekday()]} {due.day} {month}"
    before = "sebelum pukul" if language == "id" else "before"
    return f"{day} {before} {clock} WIB"
