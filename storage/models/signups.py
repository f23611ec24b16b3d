"""Help sessions and sign-ups to them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import UTCDateTime


class SignupStatus(StrEnum):
    """A sign-up's place: a seat, the queue, or given up."""

    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


# A person may hold one confirmed-or-waitlisted sign-up per session; cancelled ones don't count.
ACTIVE_SIGNUP = text(f"status IN ('{SignupStatus.CONFIRMED}', '{SignupStatus.WAITLISTED}')")


class HelpSession(Base):
    """An in-person help session run by volunteers; `slug` is the organizers' stable id."""

    __tablename__ = "help_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))
    commune: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    capacity: Mapped[int] = mapped_column(Integer)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    bring: Mapped[str] = mapped_column(Text, default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Signup(Base):
    """One citizen's place (or place in the queue) at a help session; personal data."""

    __tablename__ = "signups"
    __table_args__ = (
        UniqueConstraint("code", name="uq_signup_code"),
        Index("ix_signups_session_status", "session_id", "status", "created_at"),
        Index("ix_signups_chat", "channel", "chat_id"),
        Index(
            "uq_signup_active_person",
            "session_id",
            "channel",
            "chat_id",
            unique=True,
            sqlite_where=ACTIVE_SIGNUP,
            postgresql_where=ACTIVE_SIGNUP,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("help_sessions.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    full_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(16))
    need: Mapped[str] = mapped_column(String(300), default="")
    code: Mapped[str] = mapped_column(String(8))
    status: Mapped[SignupStatus] = mapped_column(String(16))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Checked in at the door (the dashboard); a walk-in was added there, not by the bot.
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False)
