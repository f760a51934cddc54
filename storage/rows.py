"""Row values: what one turn writes, as frozen dataclasses the pipeline builds and reads back."""

import os
import random
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Time-ordered ids (the layout of UUIDv7: 48 bits of milliseconds, then 80 random bits), so
# new rows land at the end of the primary-key index instead of splitting pages all over it;
# the random part comes from a generator seeded once per process by the OS, without a
# urandom system call for each of the 3-5 ids a message needs (~14 µs each here). Ids are not
# secrets, so a non-cryptographic generator is enough.
_RANDOM = random.Random(os.urandom(32))


def _reseed() -> None:
    # a forked worker must not repeat its parent's sequence
    _RANDOM.seed(os.urandom(32))


os.register_at_fork(after_in_child=_reseed)


def new_id() -> str:
    """A fresh app-generated id (32 hex characters, time-ordered) for leads, messages, handoffs."""
    return ((time.time_ns() // 1_000_000) << 80 | _RANDOM.getrandbits(80)).to_bytes(16).hex()


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
    status: str  # 'received' inbound; outbound 'pending' until the outbox sent it, or 'sent'
    created_at: datetime
    author: str | None = None  # "sdr:<id>" when an SDR wrote it through the bot


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
    version: int = 0  # the turn that wrote it sets it to the stored version + 1


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
