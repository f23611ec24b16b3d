"""Outbox rows: messages to other people, queued first and sent by the background sender.

Transitions (see OutboxStatus):
    pending --claim (lease, status unchanged)--> pending --begin_send--> sending
    sending --> sent | failed | unreachable | skipped | pending (retry later)
    sending, lease expired (the sender died mid-send) --> in_doubt, or pending again when
        the row's policy is to resend (in_doubt_at stays set, so reports still count it)
    pending --withdraw--> cancelled
Claiming only leases rows: a crash before `begin_send` leaves them pending, and they are
sent after the lease expires (or at once at start-up when this process is the only sender).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InDoubtPolicy, OutboxMessage, OutboxStatus
from storage.sql import insert_ignoring_conflicts, rowcount, supports_skip_locked

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


def _claimable(now: datetime, channels: Sequence[str], bulk: bool) -> Any:
    conditions = [
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.not_before <= now,
        OutboxMessage.channel.in_(list(channels)),
        or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
    ]
    if not bulk:
        conditions.append(OutboxMessage.priority < Priority.BULK)
    return and_(*conditions)


async def claim(
    db: AsyncSession,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    channels: Sequence[str],
    *,
    bulk: bool = True,
) -> list[OutboxMessage]:
    """Lease up to `limit` due rows to `owner` (most urgent first); their status stays pending.

    Without `bulk` (quiet hours), messages to many people are left for later.
    """
    if not channels:
        return []
    query = (
        select(OutboxMessage)
        .where(_claimable(now, channels, bulk))
        .order_by(OutboxMessage.priority, OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit)
    )
    if supports_skip_locked(db):
        query = query.with_for_update(skip_locked=True)
    rows = list((await db.execute(query)).scalars().all())
    until = now + lease
    for row in rows:
        row.lease_owner, row.lease_until = owner, until
    await db.flush()
    return rows


async def begin_send(
    db: AsyncSession, message_ids: Sequence[int], owner: str, now: datetime, lease: timedelta
) -> set[int]:
    """Mark leased rows as on the wire; returns those marked (not withdrawn, lease kept)."""
    result = await db.execute(
        update(OUTBOX)
        .where(
            OutboxMessage.id.in_(list(message_ids)),
            OutboxMessage.lease_owner == owner,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(
            status=OutboxStatus.SENDING,
            attempts=OutboxMessage.attempts + 1,
            lease_until=now + lease,
        )
        .returning(OutboxMessage.id)
    )
    return {int(row_id) for row_id in result.scalars().all()}


async def release(db: AsyncSession, message_ids: Sequence[int], owner: str) -> None:
    """Give back leased rows that were not started (shutdown, or a chat's earlier row failed)."""
    await db.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(list(message_ids)),
            OutboxMessage.lease_owner == owner,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(lease_owner=None, lease_until=None)
    )


async def mark_sent(
    db: AsyncSession, sent: Sequence[tuple[int, str | None]], now: datetime
) -> None:
    """The platform accepted these messages: (row id, the platform's message id) each."""
    table = OUTBOX
    await db.execute(
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(
            status=OutboxStatus.SENT,
            sent_at=now,
            last_error=None,
            lease_owner=None,
            lease_until=None,
            platform_message_id=bindparam("platform_id"),
        ),
        [{"row_id": row_id, "platform_id": platform_id} for row_id, platform_id in sent],
    )


async def reschedule(db: AsyncSession, message_id: int, not_before: datetime, error: str) -> None:
    """Try again later (rate limit or temporary failure)."""
    await _finish(
        db, message_id, status=OutboxStatus.PENDING, not_before=not_before, last_error=error
    )


async def mark_final(db: AsyncSession, message_id: int, status: OutboxStatus, error: str) -> None:
    """Give up on a message: failed, unreachable recipient, or skipped by the channel."""
    await _finish(db, message_id, status=status, last_error=error[:500])


async def _finish(db: AsyncSession, message_id: int, **values: Any) -> None:
    await db.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(lease_owner=None, lease_until=None, **values)
    )


@dataclass(frozen=True)
class Recovery:
    """Rows found on the wire of a dead sender: resent (policy) or left in doubt."""

    resent: int
    in_doubt: int
    released: int  # leased but never attempted: simply pending again


async def recover(db: AsyncSession, now: datetime, *, sole_sender: bool) -> Recovery:
    """Deal with rows a dead sender left behind.

    A row `sending` whose lease has expired was on the wire when its sender died. With
    `sole_sender` (one process on SQLite, at start-up) every lease belongs to a dead
    process, expired or not; otherwise only expired leases are touched, so the rows of
    a live sender are never disturbed.
    """
    on_wire = OutboxMessage.status == OutboxStatus.SENDING
    if not sole_sender:
        on_wire = and_(on_wire, OutboxMessage.lease_until < now)
    resent = await db.execute(
        update(OutboxMessage)
        .where(on_wire, OutboxMessage.on_doubt == InDoubtPolicy.RESEND)
        .values(
            status=OutboxStatus.PENDING,
            in_doubt_at=now,
            not_before=now,
            lease_owner=None,
            lease_until=None,
            last_error="sender stopped during the send; sent again",
        )
    )
    doubted = await db.execute(
        update(OutboxMessage)
        .where(on_wire)
        .values(
            status=OutboxStatus.IN_DOUBT,
            in_doubt_at=now,
            lease_owner=None,
            lease_until=None,
            last_error="sender stopped during the send; it may or may not have arrived",
        )
    )
    released = 0
    if sole_sender:
        released = rowcount(
            await db.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.lease_owner.is_not(None),
                )
                .values(lease_owner=None, lease_until=None)
            )
        )
    return Recovery(rowcount(resent), rowcount(doubted), released)


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
