"""The organizer dashboard: accounts, door assignments, the audit log, question counts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import UTCDateTime


class QuestionCount(Base):
    """Questions the FAQ handled per Vietnam day and outcome (answer, suggest, fallback,
    smalltalk): counts only, no text, so the overview can show shares without keeping words."""

    __tablename__ = "question_counts"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # "2026-10-03"
    action: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class DashboardRole(StrEnum):
    """What an organizer dashboard account may do."""

    ADMIN = "admin"  # everything, accounts too
    ORGANIZER = "organizer"  # sessions, announcements, FAQ drafts, exports
    DOOR = "door"  # check-in at the sessions assigned to the account


class DashboardAccount(Base):
    """A person who logs in to the dashboard (argon2 password hash, never the password)."""

    __tablename__ = "dashboard_accounts"
    __table_args__ = (UniqueConstraint("username", name="uq_dashboard_username"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[DashboardRole] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DoorAssignment(Base):
    """A door volunteer account may check people in at this session."""

    __tablename__ = "door_assignments"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("dashboard_accounts.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[int] = mapped_column(
        ForeignKey("help_sessions.id", ondelete="CASCADE"), primary_key=True
    )


class AuditEntry(Base):
    """Who did what on the dashboard, and when; details hold ids and counts, not personal
    data beyond what the entry needs (a booking code, never a full phone number)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str] = mapped_column(String(100), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
