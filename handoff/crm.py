"""CRM events: signed JSON webhooks, enqueued in the transaction that made them happen.

Each event is one outbox row per configured URL (kind "crm"), so a crash never loses one and
each URL is retried on its own with backoff: delivery is at least once, and the event's `id`
(the same on every retry) lets the receiver drop a repeat. The body is

    {"type": "handoff.accepted", "id": "<32 hex>", "occurred_at": "<ISO-8601>", "data": {...}}

and `X-Qualibot-Signature: sha256=<hex HMAC-SHA256 of the raw body, keyed with the secret>`.
"""

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol

import orjson

from storage.rows import OutboxRow, new_id

KIND: Final = "crm"
SIGNATURE_HEADER: Final = "X-Qualibot-Signature"
EVENT_TYPES: Final = frozenset(
    {
        "lead.created",
        "lead.stage_changed",
        "lead.opted_out",
        "lead.erased",
        "handoff.created",
        "handoff.accepted",
        "handoff.rejected",
        "handoff.reassigned",
        "handoff.won",
        "handoff.lost",
    }
)


def sign(body: bytes, secret: str) -> str:
    """The signature header's value for a raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def event_body(event: Mapping[str, Any]) -> bytes:
    """The raw body POSTed (and signed): the stored event as compact JSON."""
    return orjson.dumps(event)


class WebhookPoster(Protocol):
    """POSTs one body to a URL; raises DeliveryError (retry_after, permanent) on failure."""

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> None: ...


@dataclass(frozen=True, slots=True)
class CrmEvents:
    """Builds the outbox rows of one event for every configured URL (none: no rows)."""

    urls: tuple[str, ...] = ()

    def rows(self, kind: str, data: dict[str, Any], *, now: datetime) -> list[OutboxRow]:
        if kind not in EVENT_TYPES:
            raise ValueError(f"unknown CRM event type {kind!r}")
        if not self.urls:
            return []
        event_id = new_id()
        event = {"type": kind, "id": event_id, "occurred_at": now.isoformat(), "data": data}
        return [
            OutboxRow(
                dedup_key=f"crm:{event_id}:{n}",
                kind=KIND,
                channel="webhook",
                target=url[:255],
                payload={"url": url, "event": event},
                handoff_id=None,
                next_attempt_at=now,
                created_at=now,
            )
            for n, url in enumerate(self.urls)
        ]

    def many(
        self, events: Sequence[tuple[str, dict[str, Any]]], *, now: datetime
    ) -> list[OutboxRow]:
        return [row for kind, data in events for row in self.rows(kind, data, now=now)]


def handoff_data(
    handoff_id: str, lead_id: str, summary: Mapping[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """The `data` of a handoff.* event."""
    data: dict[str, Any] = {"handoff_id": handoff_id, "lead_id": lead_id, **extra}
    if summary:
        data["summary"] = dict(summary)
    return data
