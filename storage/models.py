"""Database tables. Schema changes go through Alembic migrations in storage/migrations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
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


class ReminderSlot(StrEnum):
    """When a subscriber gets the daily campaign reminder (Vietnam time)."""

    MORNING = "morning"
    EVENING = "evening"


class Subscription(Base):
    """A citizen who asked for the 1-10 October reminders; the row is the consent."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("channel", "chat_id", name="uq_subscription_chat"),
        Index("ix_subscriptions_slot", "slot", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    slot: Mapped[ReminderSlot] = mapped_column(String(16), default=ReminderSlot.MORNING)
    # Optional commune or ward, so reminders list the help sessions near the person.
    commune: Mapped[str | None] = mapped_column(String(100), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BroadcastStatus(StrEnum):
    """An organizer's announcement: scheduled, being queued, queued (sending), cancelled."""

    SCHEDULED = "scheduled"
    QUEUING = "queuing"
    QUEUED = "queued"
    CANCELLED = "cancelled"


class Broadcast(Base):
    """An announcement to an audience, queued in batches at its time (storage/broadcasts.py)."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    # "subscribers", "signups", "signups:<session slug>" or "all".
    audience: Mapped[str] = mapped_column(String(100))
    commune: Mapped[str | None] = mapped_column(String(100), default=None)
    status: Mapped[BroadcastStatus] = mapped_column(String(16), default=BroadcastStatus.SCHEDULED)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    # Who asked for it ("cli" or "telegram:<masked id>"), for the organizers' record.
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Keyset position of the audience queued so far: a crash resumes from here.
    queued_up_to: Mapped[str] = mapped_column(String(200), default="")
    queued: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ReminderRun(Base):
    """How far the queuing of one day's reminders for one slot got ("2027-10-03:morning"):
    a restart resumes after `position`; `finished_at` says the whole audience was queued."""

    __tablename__ = "reminder_runs"

    run_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    queued: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class ZaloOaToken(Base):
    """The Zalo OA's access token and its single-use refresh token, one row per app.

    Every process reads the pair from here; a refresh is claimed with a lease written by
    compare-and-swap (storage/zalo.py), so only one process spends the refresh token.
    """

    __tablename__ = "zalo_oa_tokens"

    app_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    refresh_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Who is refreshing right now, and until when their claim holds.
    lease_id: Mapped[str | None] = mapped_column(String(32), default=None)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ZaloSendCount(Base):
    """Messages a Zalo Bot sent in one calendar month, counted by every worker together."""

    __tablename__ = "zalo_send_counts"

    # Which budget: the bot's id (the token's part before the colon).
    counter: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-10", Vietnam time
    used: Mapped[int] = mapped_column(Integer, default=0)
    # When organizers were warned that most of the month's budget is used (once a month).
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


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


class JobRun(Base):
    """When a periodic job last ran, so that with several workers it runs once per period."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Which worker took the last period (host:pid:random, as the outbox's lease owners).
    owner: Mapped[str] = mapped_column(String(64))


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
