"""Organizer dashboard: accounts, door assignments, the audit log, check-in columns on
sign-ups, and per-day question counts for the overview.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signups") as batch:
        batch.add_column(sa.Column("attended_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("walk_in", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "question_counts",
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "action"),
    )
    op.create_table(
        "dashboard_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username", name="uq_dashboard_username"),
    )
    op.create_table(
        "door_assignments",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["dashboard_accounts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["help_sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "session_id"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("target", sa.String(100), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("door_assignments")
    op.drop_table("dashboard_accounts")
    op.drop_table("question_counts")
    with op.batch_alter_table("signups") as batch:
        batch.drop_column("walk_in")
        batch.drop_column("attended_at")
