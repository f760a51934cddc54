"""SLA decisions (pure): what is due on a handoff at a given time.

Accept SLA: counted in the assigned SDR's working hours from when they got the handoff. At
1x the SDR is reminded; at 2x the handoff goes to the next available SDR (and the first one
and the escalation chats are told). Each step is keyed on the assignment number, so it is
taken once per assignment however often the scheduler runs.

First-contact SLA: after Accept, nobody has written to the prospect yet. A reminder at 80%
of the time, and at 100% the escalation chats are told it was missed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from handoff.routing import working_time
from storage.handoffs import Handoff
from storage.sdrs import Sdr

Step = Literal["remind", "reassign", "contact_remind", "contact_missed"]
CONTACT_REMINDER_AT: Final = 0.8


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """QUALIBOT_SLA__ACCEPT_MINUTES and QUALIBOT_SLA__FIRST_CONTACT_HOURS, as durations."""

    accept: timedelta = timedelta(minutes=5)
    first_contact: timedelta = timedelta(hours=24)


def due_step(handoff: Handoff, sdr: Sdr | None, now: datetime, policy: SlaPolicy) -> Step | None:
    """The step due now (the furthest one: a reassignment makes its reminder moot)."""
    if handoff.status == "open" and handoff.assigned_at is not None and sdr is not None:
        waited = working_time(sdr, handoff.assigned_at, now)
        if waited >= 2 * policy.accept:
            return "reassign"
        if waited >= policy.accept:
            return "remind"
        return None
    if (
        handoff.status == "accepted"
        and handoff.accepted_at is not None
        and handoff.first_contact_at is None
    ):
        waited = now - handoff.accepted_at
        if waited >= policy.first_contact:
            return "contact_missed"
        if waited >= policy.first_contact * CONTACT_REMINDER_AT:
            return "contact_remind"
    return None


def step_key(step: Step, handoff: Handoff) -> str:
    """The key that makes `step` happen once for this assignment."""
    return f"{step}:{handoff.assignment}"
