"""Row values: what one turn writes, as frozen dataclasses the pipeline builds and reads back."""

import itertools
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# A random per-process prefix and a counter: as unique as uuid4 in practice, but without a
# urandom system call for each of the 3-5 ids every message needs (~14 µs each here).
_PREFIX = os.urandom(8).hex()
_COUNTER = itertools.count(int.from_bytes(os.urandom(4), "big"))


def _reseed() -> None:
    # a forked worker must not continue its parent's sequence
    global _PREFIX, _COUNTER  # noqa: PLW0603
    _PREFIX = os.urandom(8).hex()
    _COUNTER = itertools.count(int.from_bytes(os.urandom(4), "big"))


os.register_at_fork(after_in_child=_reseed)


def new_id() -> str:
    """A fresh app-generated id (32 hex characters) for leads, messages, handoffs."""
    return f"{_PREFIX}{next(_COUNTER) & 0xFFFFFFFFFFFFFFFF:016x}"


@dataclass(frozen=True, slots=True)
class LeadRow:
    """A lead as the pipeline writes it after a turn (the whole row: an upsert)."""

    id: str
    channel: str
    channel_user_id: str
    name: str | None
    phone: str | None
    email: str | None
    company: str | None
    language: str
    stage: str
    score: int
    band: str
    source: str | None
    opted_out: bool
    unreachable: bool
    created_at: datetime
    last_activity_at: datetime


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One inbound or outbound message; `channel_message_id` is None for unsent outbound."""

    id: str
    lead_id: str
    seq: int
    direction: str  # 'in' | 'out'
    channel: str
    channel_message_id: str | None
    text: str
    choice_id: str | None
    choices: list[dict[str, str]] | None
    status: str  # 'received' for inbound, 'pending' for outbound until sent
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ConversationRow:
    """The conversation after a turn; `state_json` is ConversationState.model_dump_json()."""

    lead_id: str
    flow_id: str
    flow_version: int
    status: str
    current_question: str | None
    state_json: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StageChangeRow:
    """A move between stages, kept as history."""

    lead_id: str
    from_stage: str | None
    to_stage: str
    at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class HandoffRow:
    """A new handoff; at most one per lead is ever stored."""

    id: str
    lead_id: str
    created_at: datetime
    summary: dict[str, Any]
    sdr_id: int | None
    due_at: datetime


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A notification to deliver; `dedup_key` makes enqueueing it twice a no-op."""

    dedup_key: str
    kind: str
    channel: str
    target: str
    payload: dict[str, Any]
    handoff_id: str | None
    next_attempt_at: datetime
    created_at: datetime
