"""SDR KPIs (pure): time to accept, time to first contact, SLA compliance, and how many
handoffs each SDR accepted, rejected, won and lost, from the handoffs' recorded steps."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from storage.handoff_events import HandoffEvent

OUTCOMES = ("accepted", "rejected", "won", "lost")


@dataclass(frozen=True, slots=True)
class SdrKpis:
    """One SDR's figures; times are medians, None when there is nothing to measure."""

    sdr_id: int
    assigned: int
    accepted: int
    rejected: int
    won: int
    lost: int
    reassigned_away: int  # handoffs taken from them by the SLA
    time_to_accept: timedelta | None
    time_to_first_contact: timedelta | None
    accept_sla_met: float | None  # share of their accepts within the accept SLA

    def as_json(self) -> dict[str, object]:
        def minutes(value: timedelta | None) -> float | None:
            return None if value is None else round(value.total_seconds() / 60, 1)

        return {
            "sdr_id": self.sdr_id,
            "assigned": self.assigned,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "won": self.won,
            "lost": self.lost,
            "reassigned_away": self.reassigned_away,
            "time_to_accept_min": minutes(self.time_to_accept),
            "time_to_first_contact_min": minutes(self.time_to_first_contact),
            "accept_sla_met": self.accept_sla_met,
        }


def sdr_kpis(
    events: Iterable[HandoffEvent], *, accept_sla: timedelta, sdr_ids: Sequence[int] = ()
) -> list[SdrKpis]:
    """KPIs per SDR (every SDR in `sdr_ids`, and any SDR the events name), by SDR id."""
    by_handoff: dict[str, list[HandoffEvent]] = defaultdict(list)
    for event in events:
        by_handoff[event.handoff_id].append(event)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    to_accept: dict[int, list[timedelta]] = defaultdict(list)
    to_contact: dict[int, list[timedelta]] = defaultdict(list)
    for steps in by_handoff.values():
        holder: int | None = None
        since: datetime | None = None
        accepted_at: datetime | None = None
        for step in sorted(steps, key=lambda e: e.id):
            if step.kind in ("assigned", "reassigned") and step.sdr_id is not None:
                holder, since = step.sdr_id, step.at
                counts[holder]["assigned"] += 1
            elif step.kind == "reassign" and step.sdr_id is not None:
                counts[step.sdr_id]["reassigned_away"] += 1
            elif step.kind in OUTCOMES:
                who = step.sdr_id if step.sdr_id is not None else holder
                if who is None:
                    continue
                counts[who][step.kind] += 1
                if step.kind == "accepted":
                    accepted_at = step.at
                    if since is not None:
                        to_accept[who].append(step.at - since)
            elif step.kind == "first_contact" and accepted_at is not None:
                who = step.sdr_id if step.sdr_id is not None else holder
                if who is not None:
                    to_contact[who].append(step.at - accepted_at)
    ids = sorted({*sdr_ids, *counts})
    return [
        SdrKpis(
            sdr_id=sdr_id,
            assigned=counts[sdr_id]["assigned"],
            accepted=counts[sdr_id]["accepted"],
            rejected=counts[sdr_id]["rejected"],
            won=counts[sdr_id]["won"],
            lost=counts[sdr_id]["lost"],
            reassigned_away=counts[sdr_id]["reassigned_away"],
            time_to_accept=_median(to_accept[sdr_id]),
            time_to_first_contact=_median(to_contact[sdr_id]),
            accept_sla_met=(
                round(
                    sum(1 for t in to_accept[sdr_id] if t <= accept_sla) / len(to_accept[sdr_id]),
                    3,
                )
                if to_accept[sdr_id]
                else None
            ),
        )
        for sdr_id in ids
    ]


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=median(v.total_seconds() for v in values))
