"""Inbound messages are deduplicated per conversation, not per channel.

The unique key was (channel, direction, channel_message_id): a web chat's message ids come
from the browser, so another session re-using an id had its message dropped as a repeat and
was shown the first session's replies. The key is now (lead_id, direction,
channel_message_id); receipts, which name an outbound message by the platform's id alone, get
an index of their own.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint(
            op.f("uq_messages_channel_direction_channel_message_id"), type_="unique"
        )
        batch.create_unique_constraint(
            op.f("uq_messages_lead_id_direction_channel_message_id"),
            ["lead_id", "direction", "channel_message_id"],
        )
    op.create_index(
        op.f("ix_messages_channel_channel_message_id"),
        "messages",
        ["channel", "channel_message_id"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_messages_channel_channel_message_id"), table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_constraint(
            op.f("uq_messages_lead_id_direction_channel_message_id"), type_="unique"
        )
        batch.create_unique_constraint(
            op.f("uq_messages_channel_direction_channel_message_id"),
            ["channel", "direction", "channel_message_id"],
        )
