"""Outbox rows are found by handoff and kind: index (handoff_id, kind) replaces (handoff_id).

Releasing a handoff's routing when its conversation ends (an UPDATE on every such turn)
matches handoff_id and kind exactly and status = 'pending'. SQLite, with no statistics to go
on, picked the (status, next_attempt_at) index for it: a walk over every pending row, whose
number grows while an SDR channel is down (119 µs per release with 700 rows pending in the
pipeline bench). With two columns to match here against one there, it takes this index.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(op.f("ix_outbox_handoff_id_kind"), "outbox", ["handoff_id", "kind"])
    op.drop_index(op.f("ix_outbox_handoff_id"), table_name="outbox")


def downgrade() -> None:
    op.create_index(op.f("ix_outbox_handoff_id"), "outbox", ["handoff_id"])
    op.drop_index(op.f("ix_outbox_handoff_id_kind"), table_name="outbox")
