"""Campaign reminders and announcements: subscriptions, broadcasts, reminder runs, and a
send-by time on outbox rows.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("send_before", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("chat_id", sa.String(64), nullable=False),
        sa.Column("slot", sa.String(16), nullable=False),
        sa.Column("commune", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel", "chat_id", name="uq_subscription_chat"),
    )
    op.create_index("ix_subscriptions_slot", "subscriptions", ["slot", "id"])
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("audience", sa.String(100), nullable=False),
        sa.Column("commune", sa.String(100), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_up_to", sa.String(200), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_broadcasts_send_at", "broadcasts", ["send_at"])
    op.create_table(
        "reminder_runs",
        sa.Column("run_key", sa.String(40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("run_key"),
    )


def downgrade() -> None:
    op.drop_table("reminder_runs")
    op.drop_index("ix_broadcasts_send_at", "broadcasts")
    op.drop_table("broadcasts")
    op.drop_index("ix_subscriptions_slot", "subscriptions")
    op.drop_table("subscriptions")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("send_before")
