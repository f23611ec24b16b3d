"""Database tables, one module per part of the product; import them from here.

Schema changes go through Alembic migrations in storage/migrations.
"""

from storage.models.base import Base
from storage.models.core import (
    AppSecret,
    Conversation,
    InboxStatus,
    InboxUpdate,
    InDoubtPolicy,
    JobRun,
    OutboxMessage,
    OutboxStatus,
    ProcessedUpdate,
    UnansweredQuestion,
    WebMailboxItem,
)
from storage.models.dashboard import (
    AuditEntry,
    DashboardAccount,
    DashboardRole,
    DoorAssignment,
    QuestionCount,
)
from storage.models.reminders import (
    Broadcast,
    BroadcastStatus,
    ReminderRun,
    ReminderSlot,
    Subscription,
)
from storage.models.signups import (
    ACTIVE_SIGNUP,
    HelpSession,
    Signup,
    SignupStatus,
)
from storage.models.volunteers import (
    OPEN_TICKET,
    FaqDraft,
    FaqDraftStatus,
    Ticket,
    TicketAuthor,
    TicketMessage,
    TicketOutcome,
    TicketRating,
    TicketStatus,
)
from storage.models.zalo import (
    ZaloOaToken,
    ZaloSendCount,
)

__all__ = [
    "ACTIVE_SIGNUP",
    "OPEN_TICKET",
    "AppSecret",
    "AuditEntry",
    "Base",
    "Broadcast",
    "BroadcastStatus",
    "Conversation",
    "DashboardAccount",
    "DashboardRole",
    "DoorAssignment",
    "FaqDraft",
    "FaqDraftStatus",
    "HelpSession",
    "InDoubtPolicy",
    "InboxStatus",
    "InboxUpdate",
    "JobRun",
    "OutboxMessage",
    "OutboxStatus",
    "ProcessedUpdate",
    "QuestionCount",
    "ReminderRun",
    "ReminderSlot",
    "Signup",
    "SignupStatus",
    "Subscription",
    "Ticket",
    "TicketAuthor",
    "TicketMessage",
    "TicketOutcome",
    "TicketRating",
    "TicketStatus",
    "UnansweredQuestion",
    "WebMailboxItem",
    "ZaloOaToken",
    "ZaloSendCount",
]
