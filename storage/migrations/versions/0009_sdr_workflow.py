"""SDR workflow: routing attributes, SLA state, handoff events, takeover, stored prompts.

SDRs get an availability switch (/away, /back), languages, a capacity and working hours in
their zone. A handoff records when its SDR got it and how often it was (re)assigned, so the
SLA scheduler's reminders and reassignments are keyed once per assignment (handoff_events has
a unique (handoff_id, key)). Messages name their author when an SDR wrote them through the
bot. What the bot waits for from an SDR (a rejection reason) is a row, not memory. Lead-level jobs
(nurture steps, nudges) are claimed once by a unique (job, key).

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("author", sa.String(64), nullable=True))
    with op.batch_alter_table("sdrs") as batch:
        batch.add_column(
            sa.Column("available", sa.Boolean(), nullable=False, server_default=sa.text("true"))
        )
        batch.add_column(sa.Column("languages", sa.String(64), nullable=True))
        batch.add_column(sa.Column("capacity", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("zone", sa.String(8), nullable=True))
        batch.add_column(sa.Column("work_hours", sa.String(16), nullable=True))
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("assignment", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("first_contact_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("takeover", sa.Boolean(), nullable=False, server_default=sa.text("false"))
        )
        batch.add_column(sa.Column("takeover_by", sa.String(96), nullable=True))
    op.create_table(
        "handoff_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("handoff_id", sa.String(32), nullable=False),
        sa.Column("key", sa.String(64), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sdr_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["handoff_id"],
            ["handoffs.id"],
            name=op.f("fk_handoff_events_handoff_id_handoffs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoff_events")),
        sa.UniqueConstraint("handoff_id", "key", name=op.f("uq_handoff_events_handoff_id_key")),
    )
    op.create_index(
        op.f("ix_handoff_events_handoff_id_id"), "handoff_events", ["handoff_id", "id"]
    )
    op.create_table(
        "sdr_prompts",
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("handoff_id", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "address", name=op.f("pk_sdr_prompts")),
    )
    op.create_table(
        "job_claims",
        sa.Column("job", sa.String(32), nullable=False),
        sa.Column("key", sa.String(96), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("job", "key", name=op.f("pk_job_claims")),
    )


def downgrade() -> None:
    op.drop_table("job_claims")
    op.drop_table("sdr_prompts")
    op.drop_index(op.f("ix_handoff_events_handoff_id_id"), table_name="handoff_events")
    op.drop_table("handoff_events")
    with op.batch_alter_table("handoffs") as batch:
        for column in (
            "takeover_by",
            "takeover",
            "first_contact_at",
            "accepted_at",
            "assignment",
            "assigned_at",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("sdrs") as batch:
        for column in ("work_hours", "zone", "capacity", "languages", "available"):
            batch.drop_column(column)
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("author")
