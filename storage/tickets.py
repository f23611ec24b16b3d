"""Tickets: questions handed to the volunteer group, their messages, claims and closing.

Transitions (storage.models.TicketStatus), each one conditional UPDATE so that two
volunteers, or a volunteer and a timer, cannot both win:
    waiting --claim--> claimed --release--> waiting
    waiting | claimed --close(outcome)--> closed
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import faq_drafts, outbox, unanswered
from storage.models import (
    Ticket,
    TicketAuthor,
    TicketMessage,
    TicketOutcome,
    TicketRating,
    TicketStatus,
)
from storage.sql import rowcount

OPEN = (TicketStatus.WAITING, TicketStatus.CLAIMED)
MAX_MESSAGE_CHARS = 4000


def source_of(ticket_id: int) -> str:
    """The outbox `source` of every message about a ticket (reports, reply mapping)."""
    return f"ticket:{ticket_id}"


def ticket_of_source(source: str | None) -> int | None:
    """'ticket:12' -> 12; None for anything else."""
    prefix, _, number = (source or "").partition(":")
    if prefix != "ticket" or not (number.isascii() and number.isdigit()):
        return None
    return int(number)


@dataclass(frozen=True)
class NewTicket:
    """What opening a ticket needs."""

    channel: str
    chat_id: str
    person_key: str
    desk_channel: str
    desk_chat_id: str
    context: list[dict[str, Any]]


async def open_ticket(db: AsyncSession, new: NewTicket, now: datetime) -> Ticket:
    """Insert a waiting ticket (the chat's only open one: a unique index says so)."""
    ticket = Ticket(
        channel=new.channel,
        chat_id=new.chat_id,
        person_key=new.person_key,
        status=TicketStatus.WAITING,
        desk_channel=new.desk_channel,
        desk_chat_id=new.desk_chat_id,
        context=new.context,
        card_stale=False,
        opened_at=now,
        waiting_since=now,
        last_activity_at=now,
    )
    db.add(ticket)
    await db.flush()
    return ticket


async def open_for_chat(
    db: AsyncSession, channel: str, chat_id: str, *, lock: bool = False
) -> Ticket | None:
    """The chat's open ticket. `lock` (PostgreSQL) holds its row until the transaction
    ends, so a message and the ticket's posting in the group do not miss each other."""
    query = select(Ticket).where(
        Ticket.channel == channel, Ticket.chat_id == chat_id, Ticket.status.in_(OPEN)
    )
    if lock:
        query = query.with_for_update()
    return (await db.execute(query)).scalars().first()


async def get(db: AsyncSession, ticket_id: int, *, lock: bool = False) -> Ticket | None:
    query = select(Ticket).where(Ticket.id == ticket_id)
    if lock:
        query = query.with_for_update()
    return (await db.execute(query)).scalars().first()


async def by_thread(db: AsyncSession, desk_chat_id: str, thread_id: str) -> Ticket | None:
    """The ticket whose topic this is."""
    query = (
        select(Ticket)
        .where(Ticket.desk_chat_id == desk_chat_id, Ticket.thread_id == thread_id)
        .order_by(Ticket.id.desc())
    )
    return (await db.execute(query)).scalars().first()


async def by_desk_message(
    db: AsyncSession, desk_channel: str, desk_chat_id: str, message_id: str
) -> Ticket | None:
    """The ticket one of whose messages in the group is `message_id` (a reply to it)."""
    source = await outbox.source_of_sent(db, desk_channel, desk_chat_id, message_id)
    ticket_id = ticket_of_source(source)
    return None if ticket_id is None else await get(db, ticket_id)


async def add_message(
    db: AsyncSession,
    ticket: Ticket,
    author: TicketAuthor,
    text: str,
    now: datetime,
    media_id: str | None = None,
) -> TicketMessage:
    """Keep one message of the conversation; it counts as activity on the ticket."""
    message = TicketMessage(
        ticket_id=ticket.id,
        author=author,
        text=text[:MAX_MESSAGE_CHARS],
        media_id=media_id,
        created_at=now,
    )
    db.add(message)
    ticket.last_activity_at = now
    if author == TicketAuthor.VOLUNTEER and ticket.first_answer_at is None:
        ticket.first_answer_at = now
    await db.flush()
    return message


async def messages_of(db: AsyncSession, ticket_id: int) -> list[TicketMessage]:
    """Every message of a ticket, in order."""
    rows = await db.execute(
        select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id)
    )
    return list(rows.scalars().all())


async def claim(
    db: AsyncSession, ticket_id: int, volunteer_id: str, volunteer_name: str, now: datetime
) -> bool:
    """Take a waiting ticket; False when someone else (or a timer) was first."""
    result = await db.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status == TicketStatus.WAITING)
        .values(
            status=TicketStatus.CLAIMED,
            volunteer_id=volunteer_id,
            volunteer_name=volunteer_name[:64],
            claimed_at=now,
            last_activity_at=now,
            card_stale=True,
        )
    )
    return rowcount(result) == 1


async def release(db: AsyncSession, ticket_id: int, volunteer_id: str, now: datetime) -> bool:
    """The claimer hands the ticket on: waiting again, its timers start over."""
    result = await db.execute(
        update(Ticket)
        .where(
            Ticket.id == ticket_id,
            Ticket.status == TicketStatus.CLAIMED,
            Ticket.volunteer_id == volunteer_id,
        )
        .values(
            status=TicketStatus.WAITING,
            volunteer_id=None,
            volunteer_name=None,
            claimed_at=None,
            waiting_since=now,
            repinged_at=None,
            last_activity_at=now,
            card_stale=True,
        )
    )
    return rowcount(result) == 1


async def close(db: AsyncSession, ticket_id: int, outcome: TicketOutcome, now: datetime) -> bool:
    """Close an open ticket; False when it was closed already."""
    result = await db.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status.in_(OPEN))
        .values(status=TicketStatus.CLOSED, outcome=outcome, closed_at=now, card_stale=True)
    )
    return rowcount(result) == 1


async def mark_repinged(db: AsyncSession, ticket_id: int, now: datetime) -> bool:
    """Record the one reminder in the group; False when it was sent already."""
    result = await db.execute(
        update(Ticket)
        .where(
            Ticket.id == ticket_id,
            Ticket.status == TicketStatus.WAITING,
            Ticket.repinged_at.is_(None),
        )
        .values(repinged_at=now)
    )
    return rowcount(result) == 1


async def rate(
    db: AsyncSession, ticket_id: int, channel: str, chat_id: str, rating: TicketRating
) -> bool:
    """The citizen's rating of their own closed ticket, once."""
    result = await db.execute(
        update(Ticket)
        .where(
            Ticket.id == ticket_id,
            Ticket.channel == channel,
            Ticket.chat_id == chat_id,
            Ticket.status == TicketStatus.CLOSED,
            Ticket.rating.is_(None),
        )
        .values(rating=rating)
    )
    return rowcount(result) == 1


async def unposted(db: AsyncSession) -> list[Ticket]:
    """Open tickets not yet shown in the volunteer group, oldest first."""
    rows = await db.execute(
        select(Ticket)
        .where(Ticket.posted_at.is_(None), Ticket.status.in_(OPEN))
        .order_by(Ticket.id)
    )
    return list(rows.scalars().all())


async def stale_cards(db: AsyncSession) -> list[Ticket]:
    """Posted tickets whose card in the group must be edited."""
    rows = await db.execute(
        select(Ticket)
        .where(Ticket.card_stale.is_(True), Ticket.posted_at.is_not(None))
        .order_by(Ticket.id)
    )
    return list(rows.scalars().all())


async def with_status(db: AsyncSession, status: TicketStatus) -> list[Ticket]:
    """Tickets in one status, oldest first (the open ones are few)."""
    rows = await db.execute(select(Ticket).where(Ticket.status == status).order_by(Ticket.id))
    return list(rows.scalars().all())


async def recent(db: AsyncSession, since: datetime | None = None) -> list[Ticket]:
    """Tickets opened since a time (all when None), oldest first."""
    query = select(Ticket).order_by(Ticket.id)
    if since is not None:
        query = query.where(Ticket.opened_at >= since)
    return list((await db.execute(query)).scalars().all())


async def for_chat(db: AsyncSession, channel: str, chat_id: str) -> list[Ticket]:
    """Every ticket of a person (for "my data")."""
    rows = await db.execute(
        select(Ticket)
        .where(Ticket.channel == channel, Ticket.chat_id == chat_id)
        .order_by(Ticket.id)
    )
    return list(rows.scalars().all())


async def delete_tickets(
    db: AsyncSession, ticket_ids: Sequence[int], *, with_drafts: bool = False
) -> int:
    """Remove tickets with their messages, what was queued about them, and the links to
    them; `with_drafts` ("delete my data") also drops their drafts not approved yet."""
    if not ticket_ids:
        return 0
    ids = list(ticket_ids)
    await outbox.delete_for_sources(db, [source_of(ticket_id) for ticket_id in ids])
    await unanswered.unlink_tickets(db, ids)
    await faq_drafts.forget_tickets(db, ids, drop_pending=with_drafts)
    await db.execute(delete(TicketMessage).where(TicketMessage.ticket_id.in_(ids)))
    result = await db.execute(delete(Ticket).where(Ticket.id.in_(ids)))
    return rowcount(result)


async def delete_closed_before(db: AsyncSession, cutoff: datetime) -> int:
    """Retention: tickets closed before `cutoff`, and everything about them."""
    rows = await db.execute(
        select(Ticket.id).where(Ticket.status == TicketStatus.CLOSED, Ticket.closed_at < cutoff)
    )
    return await delete_tickets(db, list(rows.scalars().all()))
