"""Campaign reminder subscriptions, announcements and the daily reminder runs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import UTCDateTime


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
