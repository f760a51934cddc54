"""Conversations carry a version; a lead's message numbers are unique.

A worker's cached state is used only while it is current.

Several workers may serve one prospect. Each turn now runs as one unit of work: the lead row
locked, the conversation read, the engine stepped, everything written, committed. A worker
may keep a conversation in memory to skip reading it back, but only when the stored version
is the one it holds: the turn of another worker in between makes it read the row again.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    # (lead_id, seq) was an index: it becomes unique, so two writers of one lead can never
    # both commit the same number (the lead's row lock already orders them)
    with op.batch_alter_table("messages") as batch:
        batch.drop_index(op.f("ix_messages_lead_id_seq"))
        batch.create_unique_constraint(op.f("uq_messages_lead_id_seq"), ["lead_id", "seq"])


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint(op.f("uq_messages_lead_id_seq"), type_="unique")
        batch.create_index(op.f("ix_messages_lead_id_seq"), ["lead_id", "seq"])
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("version")
