"""Outbox leases, priorities and delivery references; the inbox of platform updates;
chats on dedupe keys, person keys on unanswered questions; generated secrets; `web_chat_id` naming.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 22:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("thread_id", sa.String(64), nullable=True))
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="10"))
        batch.add_column(sa.Column("kind", sa.String(32), nullable=False, server_default="notice"))
        batch.add_column(sa.Column("source", sa.String(64), nullable=True))
        batch.add_column(
            sa.Column("on_doubt", sa.String(8), nullable=False, server_default="report")
        )
        batch.add_column(sa.Column("lease_owner", sa.String(64), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("in_doubt_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("platform_message_id", sa.String(64), nullable=True))
        batch.drop_index("ix_outbox_due")
        batch.create_index("ix_outbox_due", ["status", "priority", "not_before"])
        batch.create_index("ix_outbox_chat", ["channel", "chat_id"])
        batch.create_index("ix_outbox_source", ["source"])
    # Rows flagged by the old "interrupted" status were on the wire (or never attempted) at a
    # crash; they are the new "in doubt".
    op.execute("UPDATE outbox SET status = 'in_doubt' WHERE status = 'interrupted'")

    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("update_id", sa.String(128), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("replies", sa.JSON(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "update_id", name="uq_inbox_update"),
    )
    op.create_index("ix_inbox_status", "inbox", ["status", "id"])
    op.create_index("ix_inbox_chat", "inbox", ["channel", "chat_id"])
    op.create_index("ix_inbox_done_at", "inbox", ["done_at"])

    with op.batch_alter_table("processed_updates") as batch:
        batch.add_column(sa.Column("chat_id", sa.String(64), nullable=True))
        batch.create_index("ix_processed_updates_chat", ["channel", "chat_id"])

    with op.batch_alter_table("unanswered_questions") as batch:
        batch.add_column(sa.Column("person_key", sa.String(64), nullable=True))
        batch.create_index("ix_unanswered_questions_person_key", ["person_key"])

    with op.batch_alter_table("web_mailbox") as batch:
        batch.drop_index("ix_web_mailbox_session_id")
        batch.alter_column("session_id", new_column_name="web_chat_id")
    op.create_index("ix_web_mailbox_web_chat_id", "web_mailbox", ["web_chat_id"])

    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("app_secrets")
    op.drop_index("ix_web_mailbox_web_chat_id", "web_mailbox")
    with op.batch_alter_table("web_mailbox") as batch:
        batch.alter_column("web_chat_id", new_column_name="session_id")
    op.create_index("ix_web_mailbox_session_id", "web_mailbox", ["session_id"])
    with op.batch_alter_table("unanswered_questions") as batch:
        batch.drop_index("ix_unanswered_questions_person_key")
        batch.drop_column("person_key")
    op.drop_table("inbox")
    with op.batch_alter_table("processed_updates") as batch:
        batch.drop_index("ix_processed_updates_chat")
        batch.drop_column("chat_id")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_source")
        batch.drop_index("ix_outbox_chat")
        batch.drop_index("ix_outbox_due")
        batch.create_index("ix_outbox_due", ["status", "not_before"])
        for column in (
            "platform_message_id",
            "in_doubt_at",
            "lease_until",
            "lease_owner",
            "on_doubt",
            "source",
            "kind",
            "priority",
            "thread_id",
        ):
            batch.drop_column(column)
