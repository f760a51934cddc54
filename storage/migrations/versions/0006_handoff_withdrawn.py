"""A handoff can be withdrawn: the prospect opted out after it was made.

Until now an opt-out after a handoff left it open, with its SDR told to "book the demo they
asked for". The handoff's status may now be `withdrawn`; its SDR is told not to contact.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = "status IN ('open', 'accepted', 'rejected', 'won', 'lost')"
_AFTER = "status IN ('open', 'accepted', 'rejected', 'won', 'lost', 'withdrawn')"


def _check(condition: str) -> None:
    # batch mode: SQLite rebuilds the table, PostgreSQL alters it in place
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_constraint(op.f("ck_handoffs_status"), type_="check")
        batch.create_check_constraint(op.f("ck_handoffs_status"), condition)


def upgrade() -> None:
    _check(_AFTER)


def downgrade() -> None:
    op.execute("UPDATE handoffs SET status = 'rejected' WHERE status = 'withdrawn'")
    _check(_BEFORE)
