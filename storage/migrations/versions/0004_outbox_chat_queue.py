"""Every message to a chat goes through the outbox: an index of each chat's queue.

Prospect replies and notes to SDRs are now outbox rows written with the turn, delivered by
the outbox worker (so a crash after the webhook's 200 loses none). A chat's messages go out
in order: a row is claimed only when no earlier row of the same chat is still pending or
being sent. This partial index finds those earlier rows without reading the sent history.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WAITING = sa.text("status IN ('pending', 'sending')")


def upgrade() -> None:
    op.create_index(
        "ix_outbox_chat_queue",
        "outbox",
        ["channel", "target", "id"],
        sqlite_where=_WAITING,
        postgresql_where=_WAITING,
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_chat_queue", table_name="outbox")
