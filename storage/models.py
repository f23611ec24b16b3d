"""Database tables. Schema changes go through Alembic migrations in storage/migrations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime


class Base(DeclarativeBase):
    """Declarative base of every table."""


class Conversation(Base):
    """One chat's state: the form it is in, the step, the answers so far."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "chat_id", name="uq_conversation_chat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    flow: Mapped[str | None] = mapped_column(String(32), default=None)
    step: Mapped[str | None] = mapped_column(String(32), default=None)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when the platform says the person blocked the bot; cleared when they write again.
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ProcessedUpdate(Base):
    """Platform update ids already taken, so a re-delivered update is handled once."""

    __tablename__ = "processed_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class OutboxMessage(Base):
    """A message to someone other than the sender: a row first, a send second."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "not_before"),
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    reply: Mapped[dict[str, Any]] = mapped_column(JSON)
    # pending -> sending -> sent | failed | unreachable
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # Optional caller-chosen key (e.g. "reminder:2026-10-03:telegram:42"): queued at most once.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), default=None)


class WebMailboxItem(Base):
    """A reply waiting for a web-chat page to collect it (the web chat has no push)."""

    __tablename__ = "web_mailbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), index=True)
    reply: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UnansweredQuestion(Base):
    """A question the FAQ could not answer confidently, for organizers to review."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    best_faq_id: Mapped[str | None] = mapped_column(String(100), default=None)
    best_score: Mapped[float] = mapped_column(Float, default=0.0)
    action: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


# A person may hold one confirmed-or-waitlisted sign-up per session; cancelled ones don't count.
ACTIVE_SIGNUP = text("status IN ('confirmed', 'waitlisted')")


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
    # confirmed | waitlisted | cancelled
    status: Mapped[str] = mapped_column(String(16))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
