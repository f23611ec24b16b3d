"""Sign-ups: booking under a lock, cancel and promote from the waitlist, lookups, export.

Capacity is enforced inside the booking transaction: the session row is locked first
(SELECT ... FOR UPDATE on PostgreSQL; on SQLite every transaction already starts with
BEGIN IMMEDIATE, see storage/db.py, so writers are serialised), then the confirmed sign-ups
are counted and the new row is inserted as confirmed or waitlisted before the lock is released.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox
from storage.models import Conversation, HelpSession, OutboxMessage, Signup, SignupStatus

ACTIVE = (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)

# Easy to read aloud in Vietnamese: no 0/O, 1/I/L, and none of F J W Z (not Vietnamese letters).
CODE_ALPHABET = "ABCDEGHKMNPQRSTUVXY23456789"
CODE_LENGTH = 6
REMINDER_KEY = "session-reminder:{signup_id}"


class BookingOutcome(StrEnum):
    """What `book` did."""

    CONFIRMED = "confirmed"  # a seat
    WAITLISTED = "waitlisted"  # a place in the queue
    ALREADY = "already"  # the person held one before
    CLOSED = "closed"  # the session is gone or has started


@dataclass(frozen=True)
class Booking:
    """What `book` did, the sign-up it made or found, and the waitlist position."""

    status: BookingOutcome
    signup: Signup | None
    session: HelpSession | None
    waitlist_position: int = 0


@dataclass(frozen=True)
class Cancellation:
    """A cancelled sign-up and the waitlisted people who got its seat."""

    signup: Signup
    session: HelpSession
    promoted: list[Signup]


def is_code(text: str) -> bool:
    """Whether `text` (upper case, no separators) has the shape of a booking code."""
    return (
        len(text) == CODE_LENGTH
        and all(ch in CODE_ALPHABET for ch in text)
        and any(ch.isdigit() for ch in text)
        and any(ch.isalpha() for ch in text)
    )


def _new_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if is_code(code):  # a digit and a letter: "hủy <code>" never looks like a word
            return code


async def unused_code(db: AsyncSession) -> str:
    """A booking code no sign-up has yet."""
    for _ in range(20):
        code = _new_code()
        taken = await db.scalar(select(Signup.id).where(Signup.code == code))
        if taken is None:
            return code
    raise RuntimeError("could not find an unused booking code")


async def lock_session(db: AsyncSession, session_id: int) -> HelpSession | None:
    """Load the session row and hold its lock until the transaction ends."""
    query = (
        select(HelpSession)
        .where(HelpSession.id == session_id)
        .with_for_update()  # rendered on PostgreSQL; SQLite is serialised by BEGIN IMMEDIATE
        .execution_options(populate_existing=True)
    )
    return (await db.execute(query)).scalar_one_or_none()


async def count_with_status(db: AsyncSession, session_id: int, status: str) -> int:
    """How many sign-ups of the session have this status."""
    query = select(func.count()).where(Signup.session_id == session_id, Signup.status == status)
    return int(await db.scalar(query) or 0)


async def active_signup(
    db: AsyncSession, session_id: int, channel: str, chat_id: str
) -> Signup | None:
    """This person's confirmed or waitlisted sign-up for the session, if any."""
    query = select(Signup).where(
        Signup.session_id == session_id,
        Signup.channel == channel,
        Signup.chat_id == chat_id,
        Signup.status.in_(ACTIVE),
    )
    return (await db.execute(query)).scalar_one_or_none()


async def waitlist_position(db: AsyncSession, signup: Signup) -> int:
    """1 for the first in line."""
    ahead = await db.scalar(
        select(func.count()).where(
            Signup.session_id == signup.session_id,
            Signup.status == SignupStatus.WAITLISTED,
            (Signup.created_at < signup.created_at)
            | ((Signup.created_at == signup.created_at) & (Signup.id < signup.id)),
        )
    )
    return int(ahead or 0) + 1


async def book(
    db: AsyncSession,
    *,
    session_id: int,
    channel: str,
    chat_id: str,
    full_name: str,
    phone: str,
    need: str,
    consent_at: datetime,
    now: datetime,
) -> Booking:
    """Give a seat if one is free, else a waitlist place; call inside the update's transaction."""
    session = await lock_session(db, session_id)
    if session is None or session.starts_at <= now:
        return Booking(BookingOutcome.CLOSED, None, session)
    held = await active_signup(db, session_id, channel, chat_id)
    if held is not None:
        return Booking(BookingOutcome.ALREADY, held, session)
    confirmed = await count_with_status(db, session_id, SignupStatus.CONFIRMED)
    status = SignupStatus.CONFIRMED if confirmed < session.capacity else SignupStatus.WAITLISTED
    signup = Signup(
        session_id=session_id,
        channel=channel,
        chat_id=chat_id,
        full_name=full_name,
        phone=phone,
        need=need,
        code=await unused_code(db),
        status=status,
        consent_at=consent_at,
        created_at=now,
        updated_at=now,
    )
    db.add(signup)
    await db.flush()
    position = await waitlist_position(db, signup) if status == SignupStatus.WAITLISTED else 0
    return Booking(BookingOutcome(status), signup, session, position)


async def promote_waitlist(db: AsyncSession, session: HelpSession, now: datetime) -> list[Signup]:
    """Fill free seats from the waitlist, first come first served; the session must be locked."""
    free = session.capacity - await count_with_status(db, session.id, SignupStatus.CONFIRMED)
    if free <= 0:
        return []
    query = (
        select(Signup)
        .where(Signup.session_id == session.id, Signup.status == SignupStatus.WAITLISTED)
        .order_by(Signup.created_at, Signup.id)
        .limit(free)
    )
    promoted = list((await db.execute(query)).scalars().all())
    for signup in promoted:
        signup.status = SignupStatus.CONFIRMED
        signup.updated_at = now
    await db.flush()
    return promoted


async def cancel(db: AsyncSession, signup_id: int, now: datetime) -> Cancellation | None:
    """Cancel an active sign-up, give its seat to the waitlist; None when not active."""
    signup = await db.get(Signup, signup_id)
    if signup is None or signup.status not in ACTIVE:
        return None
    session = await lock_session(db, signup.session_id)
    assert session is not None  # the foreign key guarantees it
    await db.refresh(signup)  # re-read under the lock: a concurrent cancel may have won
    if signup.status not in ACTIVE:
        return None
    signup.status = SignupStatus.CANCELLED
    signup.cancelled_at = signup.updated_at = now
    await db.flush()
    # Its day-before reminder may already be queued: withdraw it if not sent yet.
    await outbox.withdraw(
        db,
        OutboxMessage.dedupe_key == REMINDER_KEY.format(signup_id=signup.id),
        reason="sign-up cancelled",
    )
    promoted = await promote_waitlist(db, session, now) if session.starts_at > now else []
    return Cancellation(signup, session, promoted)


async def signups_for_chat(
    db: AsyncSession, channel: str, chat_id: str, *, active_only: bool = True
) -> list[tuple[Signup, HelpSession]]:
    """A person's sign-ups with their sessions, soonest session first."""
    query = (
        select(Signup, HelpSession)
        .join(HelpSession, Signup.session_id == HelpSession.id)
        .where(Signup.channel == channel, Signup.chat_id == chat_id)
        .order_by(HelpSession.starts_at, Signup.id)
    )
    if active_only:
        query = query.where(Signup.status.in_(ACTIVE))
    return [(s, h) for s, h in (await db.execute(query)).all()]


async def find_by_code(db: AsyncSession, code: str) -> Signup | None:
    """The sign-up with this booking code."""
    return (await db.execute(select(Signup).where(Signup.code == code))).scalar_one_or_none()


async def delete_for_chat(
    db: AsyncSession, channel: str, chat_id: str, now: datetime
) -> tuple[int, list[Cancellation]]:
    """Erase a person's sign-ups; active ones are cancelled first so the waitlist moves up."""
    cancellations = []
    for signup, _session in await signups_for_chat(db, channel, chat_id):
        done = await cancel(db, signup.id, now)
        if done is not None:
            cancellations.append(done)
    result = await db.execute(
        delete(Signup).where(Signup.channel == channel, Signup.chat_id == chat_id)
    )
    return int(result.rowcount), cancellations  # type: ignore[attr-defined]


async def confirmed_starting_between(
    db: AsyncSession, start: datetime, end: datetime
) -> list[tuple[Signup, HelpSession]]:
    """Confirmed sign-ups of sessions starting in [start, end) (for reminders)."""
    query = (
        select(Signup, HelpSession)
        .join(HelpSession, Signup.session_id == HelpSession.id)
        .where(
            HelpSession.starts_at >= start,
            HelpSession.starts_at < end,
            Signup.status == SignupStatus.CONFIRMED,
            Signup.walk_in.is_(False),  # added at the door: no chat to remind
        )
        .order_by(Signup.id)
    )
    return [(s, h) for s, h in (await db.execute(query)).all()]


async def export_rows(
    db: AsyncSession, session_slug: str | None = None
) -> list[tuple[Signup, HelpSession]]:
    """Every sign-up (cancelled too) with its session, by session then sign-up order."""
    query = (
        select(Signup, HelpSession)
        .join(HelpSession, Signup.session_id == HelpSession.id)
        .order_by(HelpSession.starts_at, HelpSession.id, Signup.created_at, Signup.id)
    )
    if session_slug is not None:
        query = query.where(HelpSession.slug == session_slug)
    return [(s, h) for s, h in (await db.execute(query)).all()]


async def delete_ended_before(db: AsyncSession, cutoff: datetime) -> int:
    """Retention: sign-ups (names, phones) of sessions that ended before `cutoff`."""
    ended = select(HelpSession.id).where(HelpSession.ends_at < cutoff)
    result = await db.execute(delete(Signup).where(Signup.session_id.in_(ended)))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def people_batch(
    db: AsyncSession,
    *,
    after_id: int,
    limit: int,
    starts_after: datetime,
    session_slug: str | None = None,
    commune: str | None = None,
) -> list[tuple[int, str, str]]:
    """(sign-up id, channel, chat id) of active sign-ups of sessions not started yet, in id
    order after `after_id` (an announcement's audience, paged); blocked people left out."""
    query = (
        select(Signup.id, Signup.channel, Signup.chat_id)
        .join(HelpSession, Signup.session_id == HelpSession.id)
        .outerjoin(
            Conversation,
            (Conversation.channel == Signup.channel) & (Conversation.chat_id == Signup.chat_id),
        )
        .where(
            Signup.id > after_id,
            Signup.status.in_(ACTIVE),
            HelpSession.starts_at > starts_after,
            Conversation.blocked_at.is_(None),
            Signup.walk_in.is_(False),  # added at the door: no chat to write to
        )
        .order_by(Signup.id)
        .limit(limit)
    )
    if session_slug is not None:
        query = query.where(HelpSession.slug == session_slug)
    if commune is not None:
        query = query.where(HelpSession.commune == commune)
    return [(int(i), str(c), str(chat)) for i, c, chat in (await db.execute(query)).all()]
