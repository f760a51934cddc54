"""SDR routing (pure): round robin among the SDRs who can take a lead now.

An SDR can take a lead when the admin keeps them active, they have not switched themselves
away (/away), it is within their working hours in their zone (WIB, WITA, WIT), they speak the
lead's language and they hold fewer open handoffs than their capacity. Among those, the one
assigned least recently gets it (never-assigned first, then by id). When nobody fits, the
least recently assigned SDR who is not away gets it anyway: a lead waiting for someone to be
on duty is worse than one an SDR picks up at the start of their day (the SLA clock counts
their working hours only).
"""

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Final

from storage.sdrs import Sdr

# Indonesia keeps no daylight saving time: fixed offsets are exact.
ZONES: Final[dict[str, timezone]] = {
    "WIB": timezone(timedelta(hours=7), "WIB"),
    "WITA": timezone(timedelta(hours=8), "WITA"),
    "WIT": timezone(timedelta(hours=9), "WIT"),
}
DEFAULT_ZONE: Final = "WIB"


class BadWorkHours(ValueError):
    """Working hours that are not "HH:MM-HH:MM"."""


def zone_of(sdr: Sdr) -> timezone:
    return ZONES.get((sdr.zone or DEFAULT_ZONE).upper(), ZONES[DEFAULT_ZONE])


def parse_hours(text: str) -> tuple[time, time]:
    """ "08:00-17:00" -> (08:00, 17:00); BadWorkHours says what is wrong."""
    start, sep, end = text.partition("-")
    try:
        if not sep:
            raise ValueError(text)
        opens, closes = time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError as e:
        raise BadWorkHours(
            f"working hours {text!r}: expected HH:MM-HH:MM, e.g. 08:00-17:00"
        ) from e
    if opens >= closes:
        raise BadWorkHours(f"working hours {text!r}: the day must end after it starts")
    return opens, closes


def is_working(sdr: Sdr, now: datetime) -> bool:
    """Whether `now` is within the SDR's working hours (no hours set: always)."""
    if not sdr.work_hours:
        return True
    opens, closes = parse_hours(sdr.work_hours)
    local = now.astimezone(zone_of(sdr)).time()
    return opens <= local < closes


def working_time(sdr: Sdr, start: datetime, end: datetime) -> timedelta:
    """How much of [start, end) falls in the SDR's working hours (no hours set: all of it)."""
    if end <= start:
        return timedelta(0)
    if not sdr.work_hours:
        return end - start
    opens, closes = parse_hours(sdr.work_hours)
    zone = zone_of(sdr)
    total = timedelta(0)
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        day_open = datetime.combine(day, opens, zone)
        day_close = datetime.combine(day, closes, zone)
        overlap = min(end, day_close) - max(start, day_open)
        if overlap > timedelta(0):
            total += overlap
        day += timedelta(days=1)
    return total


def speaks(sdr: Sdr, language: str | None) -> bool:
    if not sdr.languages or not language:
        return True
    return language.lower() in {part.strip().lower() for part in sdr.languages.split(",")}


def _turn(sdr: Sdr) -> tuple[datetime, int]:
    return (sdr.last_assigned_at or datetime.min.replace(tzinfo=UTC), sdr.id)


def choose_sdr(
    candidates: Sequence[tuple[Sdr, int]],
    *,
    language: str | None,
    now: datetime,
    exclude: Collection[int] = (),
) -> Sdr | None:
    """The SDR who gets the next lead; `candidates` are (SDR, open handoffs they hold)."""
    present = [
        (sdr, held)
        for sdr, held in candidates
        if sdr.active and sdr.available and sdr.id not in exclude
    ]
    fits = [
        sdr
        for sdr, held in present
        if is_working(sdr, now)
        and speaks(sdr, language)
        and (sdr.capacity is None or held < sdr.capacity)
    ]
    pool = fits or [sdr for sdr, _ in present]
    return min(pool, key=_turn) if pool else None
