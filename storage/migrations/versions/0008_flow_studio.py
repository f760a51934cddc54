"""Flow studio: one draft per flow, a note on each published version, the funnel by version.

Flows are edited in the browser and live in the database. An admin's draft is kept apart
from the numbered versions (`flow_drafts`, one row per flow) so publishing a draft or
rolling back always makes the newest version, in order. A published version carries the
admin's note. Conversations are counted per flow version for the funnel (an index).

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "flow_drafts",
        sa.Column("flow_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("flow_id", name=op.f("pk_flow_drafts")),
    )
    with op.batch_alter_table("flows") as batch:
        batch.add_column(sa.Column("note", sa.Text(), nullable=True))
    op.create_index(
        op.f("ix_conversations_flow_id_flow_version"),
        "conversations",
        ["flow_id", "flow_version"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_conversations_flow_id_flow_version"), table_name="conversations")
    with op.batch_alter_table("flows") as batch:
        batch.drop_column("note")
    op.drop_table("flow_drafts")
