"""Row builders for storage tests: plain functions with defaults a test overrides by keyword."""

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from scoring import EventKind, ScoreEvent
from storage.rows import (
    ConversationRow,
    HandoffRow,
    LeadRow,
    MessageRow,
    OutboxRow,
    StageChangeRow,
    new_id,
)
from storage.turns import TurnWrite

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_lead(
    *,
    lead_id: str | None = None,
    channel: str = "web",
    user: str | None = None,
    name: str | None = "Budi",
    stage: str = "lead",
    score: int = 10,
    band: str = "cold",
    at: datetime = NOW,
) -> LeadRow:
    lead_id = lead_id or new_id()
    return LeadRow(
        id=lead_id,
        channel=channel,
        channel_user_id=user or f"user-{lead_id[-12:]}",
        name=name,
        phone="+6281234567890",
        email="budi@example.co.id",
        company="PT Maju",
        language="id",
        stage=stage,
        score=score,
        band=band,
        source="ads",
        opted_out=False,
        unreachable=False,
        created_at=at,
        last_activity_at=at,
    )


def make_message(
    lead: LeadRow,
    seq: int,
    *,
    direction: str = "in",
    channel_message_id: str | None = None,
    text: str = "halo",
    at: datetime = NOW,
) -> MessageRow:
    outbound = direction == "out"
    return MessageRow(
        id=new_id(),
        lead_id=lead.id,
        seq=seq,
        direction=direction,
        channel=lead.channel,
        channel_message_id=channel_message_id,
        text=text,
        choice_id=None if outbound else "opt-1",
        choices=[{"id": "a", "label": "A"}] if outbound else None,
        status="pending" if outbound else "received",
        created_at=at,
    )


def make_handoff(lead: LeadRow, *, at: datetime = NOW) -> HandoffRow:
    return HandoffRow(
        id=new_id(),
        lead_id=lead.id,
        created_at=at,
        summary={"name": lead.name, "bant": {"budget": "50jt"}},
        sdr_id=None,
        due_at=at + timedelta(hours=1),
    )


def make_outbox(
    *, dedup_key: str | None = None, handoff_id: str | None = None, at: datetime = NOW
) -> OutboxRow:
    payload: dict[str, Any] = {"text": "New SQL lead"}
    return OutboxRow(
        dedup_key=dedup_key or f"test:{new_id()}",
        kind="handoff",
        channel="telegram",
        target="1001",
        payload=payload,
        handoff_id=handoff_id,
        next_attempt_at=at,
        created_at=at,
    )


def make_turn(
    lead: LeadRow,
    *,
    seq: int = 1,
    inbound_id: str | None = None,
    replies: tuple[str, ...] = ("Berapa budget Anda?",),
    points: tuple[int, ...] = (),
    stage_to: str | None = None,
    handoff: bool = False,
    notify: tuple[str, ...] = (),
    at: datetime = NOW,
) -> TurnWrite:
    """One turn of `lead`: inbound at `seq`, replies after it; a handoff plus one outbox row
    per `notify` target when asked."""
    inbound = make_message(lead, seq, channel_message_id=inbound_id or new_id(), at=at)
    outbound = tuple(
        make_message(lead, seq + 1 + i, direction="out", text=text, at=at)
        for i, text in enumerate(replies)
    )
    events = tuple(
        ScoreEvent(at, f"rule-{i}", "answered", p, EventKind.FIT, f"k{i}")
        for i, p in enumerate(points)
    )
    handoff_row = make_handoff(lead, at=at) if handoff else None
    box = tuple(
        make_outbox(
            dedup_key=f"handoff:{handoff_row.id if handoff_row else '-'}:telegram:{target}",
            handoff_id=handoff_row.id if handoff_row else None,
            at=at,
        )
        for target in notify
    )
    return TurnWrite(
        lead=lead,
        conversation=ConversationRow(
            lead_id=lead.id,
            flow_id="bant",
            flow_version=1,
            status="active",
            current_question="budget",
            state_json=f'{{"flow_id": "bant", "turns": {seq}}}',
            updated_at=at,
        ),
        inbound=inbound,
        outbound=outbound,
        score_events=events,
        stage_change=(
            StageChangeRow(lead.id, lead.stage, stage_to, at, "qualified") if stage_to else None
        ),
        handoff=handoff_row,
        outbox=box,
    )


async def count_rows(conn: AsyncConnection, table: Table) -> int:
    """How many rows a table holds."""
    return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())
