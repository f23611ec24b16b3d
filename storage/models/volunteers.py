"""Volunteer tickets, their messages, and FAQ drafts from volunteers' answers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

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


class TicketStatus(StrEnum):
    """Where a question handed to the volunteers is."""

    WAITING = "waiting"  # in the volunteer group (or about to be), nobody took it yet
    CLAIMED = "claimed"  # a volunteer took it: their messages reach the citizen
    CLOSED = "closed"


class TicketOutcome(StrEnum):
    """Why a ticket closed."""

    ENDED = "ended"  # the citizen ended the conversation
    CLOSED = "closed"  # the volunteer closed it
    RETURNED = "returned"  # the volunteer handed the citizen back to the bot
    UNCLAIMED = "unclaimed"  # nobody took it within the give-up time
    IDLE = "idle"  # claimed, then no message either way for the idle time


class TicketRating(StrEnum):
    """The citizen's answer to "did this help?" after a ticket closed."""

    HELPFUL = "helpful"
    NOT_HELPFUL = "not_helpful"


class TicketAuthor(StrEnum):
    """Who wrote a message of a ticket."""

    CITIZEN = "citizen"
    VOLUNTEER = "volunteer"


# A chat has at most one ticket that is not closed (a double tap opens one).
OPEN_TICKET = text(f"status IN ('{TicketStatus.WAITING}', '{TicketStatus.CLAIMED}')")


class Ticket(Base):
    """A citizen's conversation handed to the volunteer group; personal data.

    The card in the group (its text and buttons) is rendered from this row; `card_stale`
    says the card no longer shows the row's state and must be edited.
    """

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_chat", "channel", "chat_id"),
        Index("ix_tickets_status", "status"),
        Index("ix_tickets_desk_thread", "desk_chat_id", "thread_id"),
        Index(
            "uq_tickets_open_chat",
            "channel",
            "chat_id",
            unique=True,
            sqlite_where=OPEN_TICKET,
            postgresql_where=OPEN_TICKET,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    # bot/privacy.py `person_key` of the citizen, to link their unanswered questions.
    person_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[TicketStatus] = mapped_column(String(16))
    outcome: Mapped[TicketOutcome | None] = mapped_column(String(16), default=None)
    # Where the volunteers see it: the group, and the ticket's topic when it has one.
    desk_channel: Mapped[str] = mapped_column(String(16))
    desk_chat_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # What the citizen asked the bot just before (masked), shown on the card.
    context: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    card_stale: Mapped[bool] = mapped_column(Boolean, default=False)
    # The volunteer who took it (their platform id, and first name only).
    volunteer_id: Mapped[str | None] = mapped_column(String(64), default=None)
    volunteer_name: Mapped[str | None] = mapped_column(String(64), default=None)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Since when it waits for a volunteer (set again when one hands it on).
    waiting_since: Mapped[datetime] = mapped_column(UTCDateTime())
    repinged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    first_answer_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)
    rating: Mapped[TicketRating | None] = mapped_column(String(16), default=None)


class TicketMessage(Base):
    """One message of a ticket, either way, in order; personal data, kept with the ticket."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author: Mapped[TicketAuthor] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    # A picture, as its platform knows it (Incoming.media_id).
    media_id: Mapped[str | None] = mapped_column(String(256), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FaqDraftStatus(StrEnum):
    """A volunteer's answer on its way to the knowledge base."""

    PENDING = "pending"
    APPROVED = "approved"  # written to a topic file
    REJECTED = "rejected"


class FaqDraft(Base):
    """A question and a volunteer's answer, saved from a ticket for organizers to review.

    The question is stored masked (phone, ID numbers, codes, names); nothing names the
    citizen. `ticket_id` points at the ticket while that is kept.
    """

    __tablename__ = "faq_drafts"
    __table_args__ = (UniqueConstraint("ticket_id", name="uq_faq_drafts_ticket"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(Integer, default=None)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    status: Mapped[FaqDraftStatus] = mapped_column(String(16), default=FaqDraftStatus.PENDING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Once approved: the entry written and its topic.
    faq_id: Mapped[str | None] = mapped_column(String(100), default=None)
    topic: Mapped[str | None] = mapped_column(String(64), default=None)
