"""Outbox rows: messages to other people, queued first and sent by the background sender.

Transitions (see OutboxStatus):
    pending --claim (lease, status unchanged)--> pending --begin_send--> sending
    sending --> sent | failed | unreachable | skipped | pending (retry later)
    sending, lease expired (the sender died mid-send) --> in_doubt, or pending again when
        the row's policy is to resend (in_doubt_at stays set, so reports still count it)
    pending --withdraw--> cancelled
The sender leases, sends and recovers rows through storage/outbox_leases.py; this module
queues and withdraws them, looks up what was sent and deletes rows (retention, erasure).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any, cast

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InDoubtPolicy, OutboxMessage, OutboxStatus
from storage.sql import insert_ignoring_conflicts, rowcount

# The table itself, for Core statements on the hot path (no ORM bookkeeping per row).
OUTBOX = cast(Table, OutboxMessage.__table__)

# Statuses after which a row never changes again.
FINAL = (
    OutboxStatus.SENT,
    OutboxStatus.FAILED,
    OutboxStatus.UNREACHABLE,
    OutboxStatus.SKIPPED,
    OutboxStatus.CANCELLED,
    OutboxStatus.IN_DOUBT,
)


class Priority(IntEnum):
    """Lower is sent first."""

    REPLY = 0  # someone is waiting for it right now (a volunteer's answer)
    NOTICE = 10  # a personal notice (a seat from the waitlist, a day-before reminder)
    BULK = 20  # reminders and announcements to many people


@dataclass(frozen=True)
class Message:
    """What to queue: a reply for one chat, with its kind, policy and delivery reference."""

    channel: str
    chat_id: str
    reply: dict[str, Any]
    kind: str = "notice"
    priority: int = Priority.NOTICE
    on_doubt: InDoubtPolicy = InDoubtPolicy.REPORT
    source: str | None = None
    thread_id: str | None = None
    not_before: datetime | None = None
    dedupe_key: str | None = None
    # Not worth sending after this (a day's reminder): skipped instead.
    send_before: datetime | None = None


async def enqueue(db: AsyncSession, message: Message, now: datetime) -> bool:
    """Queue a message; False when a message with the same dedupe key is already queued."""
    result = await db.execute(
        insert_ignoring_conflicts(db, OutboxMessage).values(_row_values(message, now))
    )
    return bool(rowcount(result))


async def enqueue_many(db: AsyncSession, messages: Sequence[Message], now: datetime) -> int:
    """Queue many messages in one statement; rows whose dedupe key exists are skipped."""
    if not messages:
        return 0
    # RETURNING with many rows ("insertmanyvalues") tells which were new, on both databases.
    result = await db.execute(
        insert_ignoring_conflicts(db, OUTBOX).returning(OutboxMessage.id),
        [_row_values(message, now) for message in messages],
    )
    return len(result.all())


def _row_values(message: Message, now: datetime) -> dict[str, Any]:
    return {
        "channel": message.channel,
        "chat_id": message.chat_id,
        "thread_id": message.thread_id,
        "reply": message.reply,
        "status": OutboxStatus.PENDING,
        "priority": int(message.priority),
        "kind": message.kind,
        "source": message.source,
        "on_doubt": message.on_doubt,
        "attempts": 0,
        "not_before": message.not_before or now,
        "created_at": now,
        "dedupe_key": message.dedupe_key,
        "send_before": message.send_before,
    }


async def withdraw(db: AsyncSession, *conditions: Any, reason: str) -> int:
    """Cancel rows not yet on the wire that match `conditions` (an opt-out, a cancelled
    broadcast, a cancelled sign-up's reminder); returns how many."""
    result = await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING, *conditions)
        .values(
            status=OutboxStatus.CANCELLED, last_error=reason, lease_owner=None, lease_until=None
        )
    )
    return rowcount(result)


async def delete_finished_before(db: AsyncSession, cutoff: datetime) -> int:
    """Retention: forget rows that reached a final status before `cutoff`."""
    result = await db.execute(
        delete(OutboxMessage).where(
            OutboxMessage.status.in_(FINAL),
            func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < cutoff,
        )
    )
    return rowcount(result)


async def delete_for_chat(db: AsyncSession, channel: str, chat_id: str) -> int:
    """For "delete my data": every row addressed to this person, sent or not."""
    result = await db.execute(
        delete(OutboxMessage).where(
            OutboxMessage.channel == channel, OutboxMessage.chat_id == chat_id
        )
    )
    return rowcount(result)


async def sent_platform_ids(db: AsyncSession, source: str, kinds: Sequence[str]) -> list[str]:
    """The platform's ids of the messages of these kinds sent for `source`, oldest first
    (e.g. a ticket's card in the volunteer group, to edit its buttons)."""
    rows = await db.execute(
        select(OutboxMessage.platform_message_id)
        .where(
            OutboxMessage.source == source,
            OutboxMessage.kind.in_(list(kinds)),
            OutboxMessage.platform_message_id.is_not(None),
        )
        .order_by(OutboxMessage.id)
    )
    return [str(value) for value in rows.scalars().all()]


async def source_of_sent(
    db: AsyncSession, channel: str, chat_id: str, platform_message_id: str
) -> str | None:
    """What queued the message the platform calls `platform_message_id` in that chat
    (a reply to it belongs there: "ticket:12")."""
    found = await db.execute(
        select(OutboxMessage.source).where(
            OutboxMessage.channel == channel,
            OutboxMessage.chat_id == chat_id,
            OutboxMessage.platform_message_id == platform_message_id,
        )
    )
    return found.scalars().first()


async def delete_for_sources(db: AsyncSession, sources: Sequence[str]) -> int:
    """For "delete my data": messages queued on the person's behalf to someone else (what
    they wrote, relayed to the volunteers)."""
    if not sources:
        return 0
    result = await db.execute(delete(OutboxMessage).where(OutboxMessage.source.in_(list(sources))))
    return rowcount(result)
