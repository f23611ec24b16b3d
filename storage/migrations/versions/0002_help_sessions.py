"""Help sessions and sign-ups (capacity, waitlist, booking codes).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 14:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ACTIVE_SIGNUP = sa.text("status IN ('confirmed', 'waitlisted')")


def upgrade() -> None:
    op.create_table(
        "help_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("commune", sa.String(length=100), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("topics", sa.JSON(), nullable=False),
        sa.Column("bring", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    with op.batch_alter_table("help_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_help_sessions_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "signups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=False),
        sa.Column("need", sa.String(length=300), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["session_id"], ["help_sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code", name="uq_signup_code"),
    )
    with op.batch_alter_table("signups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_signups_session_status", ["session_id", "status", "created_at"], unique=False
        )
        batch_op.create_index("ix_signups_chat", ["channel", "chat_id"], unique=False)
        # Partial unique index: one active sign-up per person and session (both databases
        # support WHERE on an index); the booking code checks first, this is the backstop.
        batch_op.create_index(
            "uq_signup_active_person",
            ["session_id", "channel", "chat_id"],
            unique=True,
            sqlite_where=ACTIVE_SIGNUP,
            postgresql_where=ACTIVE_SIGNUP,
        )


def downgrade() -> None:
    with op.batch_alter_table("signups", schema=None) as batch_op:
        batch_op.drop_index("uq_signup_active_person")
        batch_op.drop_index("ix_signups_chat")
        batch_op.drop_index("ix_signups_session_status")

    op.drop_table("signups")
    with op.batch_alter_table("help_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_help_sessions_starts_at"))

    op.drop_table("help_sessions")
