"""Queue one campaign day's reminders for many subscribers with INSERT ... SELECT.

The reminder's text depends only on the subscriber's commune (people with a booking that day
get theirs one by one), so each commune's rows are written by one statement inside the
database: 100,000 subscribers cost a few statements, no rows in memory, and a rerun (a
restart, a second process) inserts nothing twice because of the outbox dedupe key.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, and_, bindparam, exists, literal, not_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation, InDoubtPolicy, OutboxStatus, ReminderSlot, Subscription
from storage.outbox import OUTBOX
from storage.sql import insert_ignoring_conflicts, rowcount
from storage.types import UTCDateTime


async def communes_of(db: AsyncSession, slot: ReminderSlot) -> list[str | None]:
    """The communes subscribers of this slot chose (None for "no commune given")."""
    query = select(Subscription.commune).where(Subscription.slot == slot).distinct()
    return list((await db.execute(query)).scalars().all())


async def queue_commune(
    db: AsyncSession,
    *,
    slot: ReminderSlot,
    commune: str | None,
    reply: dict[str, Any],
    kind: str,
    priority: int,
    source: str,
    key_prefix: str,
    send_before: datetime,
    now: datetime,
    skip: Sequence[tuple[str, str]] = (),
) -> int:
    """Queue `reply` for every subscriber of `slot` in `commune` (but those in `skip` and
    those who blocked the bot); returns how many rows were new."""
    blocked = exists().where(
        Conversation.channel == Subscription.channel,
        Conversation.chat_id == Subscription.chat_id,
        Conversation.blocked_at.is_not(None),
    )
    conditions = [
        Subscription.slot == slot,
        Subscription.commune.is_(None) if commune is None else Subscription.commune == commune,
        not_(blocked),
    ]
    if skip:
        conditions.append(not_(tuple_(Subscription.channel, Subscription.chat_id).in_(list(skip))))
    moment = bindparam("now", now, type_=UTCDateTime())
    rows = select(
        Subscription.channel,
        Subscription.chat_id,
        bindparam("reply", reply, type_=JSON),
        literal(OutboxStatus.PENDING.value, String),
        literal(priority),
        literal(kind, String),
        literal(source, String),
        literal(InDoubtPolicy.REPORT.value, String),
        literal(0),
        moment,
        moment,
        bindparam("send_before", send_before, type_=UTCDateTime()),
        literal(key_prefix, String) + Subscription.channel + ":" + Subscription.chat_id,
    ).where(and_(*conditions))
    columns = [
        OUTBOX.c.channel,
        OUTBOX.c.chat_id,
        OUTBOX.c.reply,
        OUTBOX.c.status,
        OUTBOX.c.priority,
        OUTBOX.c.kind,
        OUTBOX.c.source,
        OUTBOX.c.on_doubt,
        OUTBOX.c.attempts,
        OUTBOX.c.not_before,
        OUTBOX.c.created_at,
        OUTBOX.c.send_before,
        OUTBOX.c.dedupe_key,
    ]
    statement = insert_ignoring_conflicts(db, OUTBOX).from_select(columns, rows)
    return rowcount(await db.execute(statement))
