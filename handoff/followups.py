"""Messages the bot starts (run by the scheduler): the nurture sequence for MQLs who
consented, and one nudge for a prospect who went quiet mid-qualification.

Rules (the flow's `nurture:`): never in the prospect's night (`quiet_start`-`quiet_end`,
WIB: a lead's own zone is not known), at most one message per `min_gap_hours`, the sequence
stops when the prospect replies, opts out or changes stage (a reply goes through the
conversation as usual and may make them SQL). Of the steps due, only the latest is sent. Each
step is claimed once per lead (job_claims), in the transaction that stores the message and
queues it in the outbox (WhatsApp outside its 24-hour window: the re-engagement template).
"""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Final

from dialogs import ConversationState, Flow, OutboundMessage
from handoff.outbox import reply_row
from handoff.routing import ZONES
from storage import outbox as outbox_store
from storage.database import Transaction
from storage.followups import FollowupCandidate, claim, followup_candidates
from storage.messages import append_outbound

Job = Callable[[Transaction], Awaitable[Any]]
Run = Callable[[Job], Awaitable[Any]]
CHANNELS: Final = ("telegram", "whatsapp")  # where the bot may write first
NURTURE_STAGES: Final = ("mql", "nurture")
NUDGE_STAGES: Final = ("lead", "mql")
NUDGE_WITHIN: Final = timedelta(hours=24)  # later than this, the silence counts as gone


def is_quiet(flow: Flow, now: datetime) -> bool:
    """Whether it is night for the prospect (WIB)."""
    config = flow.document.nurture
    local = now.astimezone(ZONES["WIB"]).time()
    return local >= config.quiet_start or local < config.quiet_end


def consented(flow: Flow, state: ConversationState) -> bool:
    if flow.question_for_slot("consent") is None:
        return True
    given = state.slots.get("consent")
    return given is not None and given.value is True


def _name(candidate: FollowupCandidate) -> str:
    first = (candidate.name or "").split()
    return f" {first[0]}" if first else ""


def due_message(flow: Flow, lead: FollowupCandidate, now: datetime) -> tuple[str, str] | None:
    """(claim key, text) of what is due for this lead now, or None."""
    config = flow.document.nurture
    last_out, last_in = lead.last_out_at, lead.last_in_at
    waiting = lead.last_direction == "out"  # the bot asked; the prospect has not answered
    nudge_after = config.nudge_after_hours
    if (
        nudge_after is not None
        and last_out is not None
        and waiting
        and lead.stage in NUDGE_STAGES
        and lead.status == "active"
        and lead.current_question
        and timedelta(hours=nudge_after) <= now - last_out < NUDGE_WITHIN
    ):
        question = flow.questions.get(lead.current_question)
        prompt = ""
        if question is not None:
            prompt = question.prompt.get(lead.language) or next(iter(question.prompt.values()))
        return "nudge", flow.text("nudge", lead.language, question=prompt)
    if last_out is not None and now - last_out < timedelta(hours=config.min_gap_hours):
        return None  # the frequency cap
    if lead.stage not in NURTURE_STAGES or lead.stage_since is None or lead.status == "active":
        return None  # the sequence starts once the conversation has closed
    started = lead.nurture_started
    if started is not None and last_in is not None and last_in > started:
        return None  # they replied to it: the conversation goes on, the sequence stops
    state = ConversationState.model_validate_json(lead.state_json)
    if not consented(flow, state):
        return None
    due = [
        (n, step)
        for n, step in enumerate(config.steps)
        if lead.stage_since + timedelta(days=step.day) <= now
    ]
    if not due:
        return None
    n, step = due[-1]
    text = step.text.get(lead.language) or next(iter(step.text.values()))
    return f"nurture:{n}:day{step.day}", text.replace("{name}", _name(lead))


async def run_followups(
    run: Run, *, flow: Flow, now: datetime, send_at: datetime | None = None
) -> list[dict[str, Any]]:
    """Send every nurture step and nudge due at `now`, once; one action each."""
    if is_quiet(flow, now):
        return []
    stages = tuple(sorted({*NURTURE_STAGES, *NUDGE_STAGES}))
    candidates: list[FollowupCandidate] = await run(
        lambda conn: followup_candidates(conn, channels=CHANNELS, stages=stages)
    )
    actions: list[dict[str, Any]] = []
    for lead in candidates:
        found = due_message(flow, lead, now)
        if found is None:
            continue
        key, text = found
        job = "nudge" if key == "nudge" else "nurture"

        async def send(
            conn: Transaction,
            lead: FollowupCandidate = lead,
            key: str = key,
            text: str = text,
            job: str = job,
        ) -> bool:
            if not await claim(conn, job, f"{lead.lead_id}:{key}", now):
                return False
            message_id = await append_outbound(
                conn, lead.lead_id, channel=lead.channel, text=text, author=None, now=now
            )
            row = reply_row(
                message_id=message_id,
                channel=lead.channel,
                target=lead.channel_user_id,
                message=OutboundMessage(text),
                now=send_at or now,
            )
            await outbox_store.enqueue(conn, [row])
            return True

        if await run(send):
            actions.append(
                {"job": f"{job}.send", "step": key, "lead_id": lead.lead_id, "at": now.isoformat()}
            )
    return actions
