"""Conversations, update ids, the inbox and outbox, the web mailbox, unanswered
questions, app secrets and periodic job runs: the tables the core itself uses."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import UTCDateTime


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
    __table_args__ = (Index("ix_processed_updates_chat", "channel", "chat_id"),)

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    # Longer keys are stored as a hash (storage/dedupe.py).
    update_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # Whose update it was, so "delete my data" removes keys that embed the chat id.
    chat_id: Mapped[str | None] = mapped_column(String(64), default=None)


class OutboxStatus(StrEnum):
    """Where an outbox row is; see storage/outbox.py for the transitions."""

    PENDING = "pending"  # waiting to be sent (possibly leased by a sender, not attempted)
    SENDING = "sending"  # on the wire: the send started and its result is not recorded yet
    SENT = "sent"
    FAILED = "failed"  # refused by the platform or given up after retries
    UNREACHABLE = "unreachable"  # the person blocked the bot / the chat is gone
    SKIPPED = "skipped"  # the channel may not send it (e.g. outside a messaging window)
    CANCELLED = "cancelled"  # withdrawn before it was sent (an opt-out, a cancelled broadcast)
    IN_DOUBT = "in_doubt"  # on the wire when a sender died, not resent: may or may not have arrived


class InDoubtPolicy(StrEnum):
    """What to do with a message that was on the wire when its sender died."""

    RESEND = "resend"  # a rare duplicate is better than silence (a seat, a volunteer's answer)
    REPORT = "report"  # a duplicate would be worse (a broadcast): count it, do not resend


class OutboxMessage(Base):
    """A message to someone other than the sender: a row first, a send second.

    A sender claims due rows with a lease (`lease_owner` until `lease_until`) without
    touching their status, and flips one row to `sending` just before it goes on the wire;
    so after a crash only rows literally on the wire are in doubt.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "priority", "not_before"),
        Index("ix_outbox_chat", "channel", "chat_id"),
        Index("ix_outbox_source", "source"),
        UniqueConstraint("dedupe_key", name="uq_outbox_dedupe_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    # A forum topic / thread inside the chat (volunteer group), when the channel has them.
    thread_id: Mapped[str | None] = mapped_column(String(64), default=None)
    reply: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[OutboxStatus] = mapped_column(String(16), default=OutboxStatus.PENDING)
    # Lower goes first: a reply someone waits for now before a queued broadcast.
    priority: Mapped[int] = mapped_column(Integer, default=10)
    # What kind of message this is ("signup.promoted", "campaign.reminder", ...).
    kind: Mapped[str] = mapped_column(String(32), default="notice")
    # What queued it, for delivery reports ("broadcast:12", "campaign:2026-10-03", "ticket:5").
    source: Mapped[str | None] = mapped_column(String(64), default=None)
    on_doubt: Mapped[InDoubtPolicy] = mapped_column(String(8), default=InDoubtPolicy.REPORT)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Set when a sender died with this row on the wire (kept when the row is resent).
    in_doubt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # A message not sent by then is skipped (a day's reminder is worthless the next day).
    send_before: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The platform's id of the (first) message sent, e.g. to map a reply to a ticket.
    platform_message_id: Mapped[str | None] = mapped_column(String(64), default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    # Optional caller-chosen key (e.g. "reminder:2026-10-03:telegram:42"): queued at most once.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), default=None)


class InboxStatus(StrEnum):
    """Where a persisted platform update is."""

    RECEIVED = "received"  # stored and acknowledged, not handled yet
    ANSWERED = "answered"  # handled; its replies are stored and being sent
    DONE = "done"


class InboxUpdate(Base):
    """A platform update stored before it is acknowledged (webhook 200, polling offset).

    On start-up, what is `received` is handled and what is `answered` has its stored
    replies sent, so an acknowledged update is never lost.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "update_id", name="uq_inbox_update"),
        Index("ix_inbox_status", "status", "id"),
        Index("ix_inbox_chat", "channel", "chat_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    update_id: Mapped[str] = mapped_column(String(128))
    # The chat it came from, so "delete my data" and retention can find it.
    chat_id: Mapped[str | None] = mapped_column(String(64), default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[InboxStatus] = mapped_column(String(16), default=InboxStatus.RECEIVED)
    replies: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)


class WebMailboxItem(Base):
    """A message from someone else waiting for a web-chat page to collect it."""

    __tablename__ = "web_mailbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    web_chat_id: Mapped[str] = mapped_column(String(64), index=True)
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
    # A keyed hash of (channel, chat id): not reversible, but lets "delete my data" find
    # the person's questions (bot/privacy.py `person_key`).
    person_key: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    # The volunteer ticket that answered it (set when a volunteer first answers the person).
    ticket_id: Mapped[int | None] = mapped_column(Integer, default=None, index=True)


class AppSecret(Base):
    """Secrets the bot generates for itself on first use (e.g. the key of `person_key`)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class JobRun(Base):
    """When a periodic job last ran, so that with several workers it runs once per period."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Which worker took the last period (host:pid:random, as the outbox's lease owners).
    owner: Mapped[str] = mapped_column(String(64))
