"""The database schema: SQLAlchemy Core tables; only storage/ imports this module.

Core tables rather than ORM classes: every repository is written in Core, which costs about a
third less CPU per turn than the ORM (../shared/PERF.md section 3), and nothing here needs
identity maps or lazy loading.
"""

from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.types import TypeDecorator

from storage.errors import NaiveDatetime

# Constraint names are stable across SQLite and PostgreSQL, so migrations can name them.
NAMING_CONVENTION: Final[dict[str, str]] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata: Final = MetaData(naming_convention=NAMING_CONVENTION)

# BIGINT ids on PostgreSQL; on SQLite only INTEGER PRIMARY KEY is the autoincrementing rowid.
BigId: Final = BigInteger().with_variant(Integer(), "sqlite")

ID_LENGTH: Final = 32  # uuid4().hex


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on both backends.

    SQLite stores datetimes as text without an offset, so values are written in UTC and the
    offset is put back on the way out; PostgreSQL keeps timestamptz. Naive values are refused:
    they are a bug upstream, and guessing their zone would corrupt the ledger's ordering.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise NaiveDatetime(value)
        if dialect.name == "sqlite":
            return value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):  # pragma: no cover - the driver always parses
            raise TypeError(f"expected a datetime from the driver, got {value!r}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


MESSAGE_STATUSES: Final = ("received", "pending", "sent", "delivered", "read", "failed")
HANDOFF_STATUSES: Final = ("open", "accepted", "rejected", "won", "lost", "withdrawn")
OUTBOX_STATUSES: Final = ("pending", "sending", "sent", "failed", "dead")
FLOW_STATUSES: Final = ("draft", "published", "archived")

leads: Final = Table(
    "leads",
    metadata,
    Column("id", String(ID_LENGTH), primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("channel_user_id", String(128), nullable=False),
    Column("name", String(200)),
    Column("phone", String(32)),
    Column("email", String(254)),
    Column("company", String(200)),
    Column("language", String(8), nullable=False),
    Column("stage", String(16), nullable=False, index=True),
    Column("score", Integer, nullable=False),
    Column("band", String(8), nullable=False),
    Column("source", String(200)),
    Column("opted_out", Boolean, nullable=False),
    Column("unreachable", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("last_activity_at", UtcDateTime, nullable=False, index=True),
    UniqueConstraint("channel", "channel_user_id"),
)

conversations: Final = Table(
    "conversations",
    metadata,
    Column("lead_id", String(ID_LENGTH), ForeignKey("leads.id"), primary_key=True),
    Column("flow_id", String(64), nullable=False),
    Column("flow_version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("current_question", String(64)),
    Column("state", Text, nullable=False),  # ConversationState.model_dump_json()
    Column("updated_at", UtcDateTime, nullable=False),
    # +1 on every turn: a worker's cached state is used only while it is still this version
    Column("version", Integer, nullable=False, server_default="0"),
    Index(None, "flow_id", "flow_version"),  # the funnel per flow version
)

messages: Final = Table(
    "messages",
    metadata,
    Column("id", String(ID_LENGTH), primary_key=True),
    # Deferred: a turn's inbound row goes in first (that insert is the dedup check), and only
    # then the lead it belongs to, which may be new; the check runs at commit.
    Column(
        "lead_id",
        String(ID_LENGTH),
        ForeignKey("leads.id", deferrable=True, initially="DEFERRED"),
        nullable=False,
    ),
    Column("seq", Integer, nullable=False),
    Column("direction", String(3), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("channel_message_id", String(128)),  # NULL until an outbound message is sent
    Column("text", Text, nullable=False),
    Column("choice_id", String(256)),
    Column("choices", JSON),
    Column("status", String(16), nullable=False),
    Column("error_code", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("status_at", UtcDateTime),
    # who wrote it when not the prospect (in) or the bot (out): "sdr:<id>" in a takeover
    Column("author", String(64)),
    # The dedup key of inbound deliveries, per conversation: a web chat's message ids come
    # from the browser and Telegram's are per chat, so only the lead (channel and chat)
    # makes them unique. NULLs (unsent outbound) never collide.
    UniqueConstraint("lead_id", "direction", "channel_message_id"),
    # Delivery receipts name our outbound message by the platform's id alone.
    Index(None, "channel", "channel_message_id"),
    # a lead's messages in order, each number once: two writers of one lead cannot both commit
    UniqueConstraint("lead_id", "seq"),
    CheckConstraint(_in("direction", ("in", "out")), name="direction"),
    CheckConstraint(_in("status", MESSAGE_STATUSES), name="status"),
)

score_events: Final = Table(
    "score_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("lead_id", String(ID_LENGTH), ForeignKey("leads.id"), nullable=False, index=True),
    Column("at", UtcDateTime, nullable=False),
    Column("rule_id", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Column("points", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("key", String(128), nullable=False),
)

stage_changes: Final = Table(
    "stage_changes",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("lead_id", String(ID_LENGTH), ForeignKey("leads.id"), nullable=False, index=True),
    Column("from_stage", String(16)),
    Column("to_stage", String(16), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("reason", Text, nullable=False),
)

sdrs: Final = Table(
    "sdrs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("telegram_chat_id", String(64), index=True),
    Column("whatsapp_number", String(32), index=True),
    Column("active", Boolean, nullable=False),
    Column("last_assigned_at", UtcDateTime),
    Column("created_at", UtcDateTime, nullable=False),
    # the SDR's own switch (/away, /back, the admin page); `active` is the admin's
    Column("available", Boolean, nullable=False, server_default=text("true")),
    Column("languages", String(64)),  # "id,en"; NULL: any language
    Column("capacity", Integer),  # open handoffs at most; NULL: no limit
    Column("zone", String(8)),  # WIB, WITA or WIT; NULL: WIB
    Column("work_hours", String(16)),  # "08:00-17:00" in the zone; NULL: any time
)

handoffs: Final = Table(
    "handoffs",
    metadata,
    Column("id", String(ID_LENGTH), primary_key=True),
    Column("lead_id", String(ID_LENGTH), ForeignKey("leads.id"), nullable=False, unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("summary", JSON, nullable=False),
    Column("sdr_id", Integer, ForeignKey("sdrs.id")),
    Column("status", String(16), nullable=False, index=True),
    Column("decided_by", String(200)),
    Column("decided_at", UtcDateTime),
    Column("reject_reason", Text),
    Column("due_at", UtcDateTime, nullable=False),
    Column("delivery", JSON),  # per-notifier delivery state, written by the outbox worker
    # SLA: when the current SDR got it, and how many times it was (re)assigned (the step
    # number reminders and reassignments are keyed on, so each happens once)
    Column("assigned_at", UtcDateTime),
    Column("assignment", Integer, nullable=False, server_default="0"),
    Column("accepted_at", UtcDateTime),
    Column("first_contact_at", UtcDateTime),
    # the SDR talks to the prospect through the bot; the bot stays silent meanwhile
    Column("takeover", Boolean, nullable=False, server_default=text("false")),
    Column("takeover_by", String(96)),  # "<channel>:<address>": where the SDR reads the relay
    CheckConstraint(_in("status", HANDOFF_STATUSES), name="status"),
)

handoff_events: Final = Table(
    "handoff_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("handoff_id", String(ID_LENGTH), ForeignKey("handoffs.id"), nullable=False),
    # a time-driven step ("remind:1", "reassign:1"): unique per handoff, so each is taken
    # once however many schedulers run it; NULL for events that happen when they happen
    Column("key", String(64)),
    Column("kind", String(32), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Column("sdr_id", Integer),
    Column("detail", JSON),
    UniqueConstraint("handoff_id", "key"),
    Index(None, "handoff_id", "id"),
)

# Time-driven jobs about a lead (a nurture step, a nudge): each key is taken once.
job_claims: Final = Table(
    "job_claims",
    metadata,
    Column("job", String(32), primary_key=True),
    Column("key", String(96), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
)

# What the bot waits for from an SDR's chat (a rejection reason): kept across restarts.
sdr_prompts: Final = Table(
    "sdr_prompts",
    metadata,
    Column("channel", String(16), primary_key=True),
    Column("address", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("handoff_id", String(ID_LENGTH), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

outbox: Final = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    # e.g. "handoff:<id>:telegram:<chat>": a handoff is enqueued once per notifier target
    Column("dedup_key", String(255), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("target", String(255), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("handoff_id", String(ID_LENGTH), ForeignKey("handoffs.id")),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    # For 'pending' rows the next try; for 'sending' rows the end of the claim's lease.
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("sent_message_id", String(128)),
    # status first: claim_due reads only pending/sending rows, never the sent history.
    Index(None, "status", "next_attempt_at"),
    # A handoff's rows by kind (releasing its routing when the conversation ends): two
    # columns matched exactly, so SQLite prefers it to the status index (migration 0002).
    Index(None, "handoff_id", "kind"),
    # A chat's undelivered messages, in order: a message is claimed only when none before it
    # for the same chat is still waiting (storage.outbox.claim_due). Partial: sent history
    # is never looked at.
    Index(
        "ix_outbox_chat_queue",
        "channel",
        "target",
        "id",
        sqlite_where=text(_in("status", ("pending", "sending"))),
        postgresql_where=text(_in("status", ("pending", "sending"))),
    ),
    CheckConstraint(_in("status", OUTBOX_STATUSES), name="status"),
)

flows: Final = Table(
    "flows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("flow_id", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("source", Text, nullable=False),  # the flow's YAML, as the admin wrote it
    Column("created_at", UtcDateTime, nullable=False),
    Column("published_at", UtcDateTime),
    Column("note", Text),  # the admin's note when publishing (or "rollback to vN")
    UniqueConstraint("flow_id", "version"),
    CheckConstraint(_in("status", FLOW_STATUSES), name="status"),
)

# The admin's work in progress, one per flow: not a version until it is published.
flow_drafts: Final = Table(
    "flow_drafts",
    metadata,
    Column("flow_id", String(64), primary_key=True),
    Column("source", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

admin_sessions: Final = Table(
    "admin_sessions",
    metadata,
    # SHA-256 of the session id the cookie carries: the table alone cannot log anyone in.
    Column("id_hash", String(64), primary_key=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
    Column("revoked_at", UtcDateTime),
)
