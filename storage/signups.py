"""Help sessions and sign-ups: import, seats, booking under a lock, cancel and promote, export.

Capacity is enforced inside the booking transaction: the session row is locked first
(SELECT ... FOR UPDATE on PostgreSQL; on SQLite every transaction already starts with
BEGIN IMMEDIATE, see storage/db.py, so writers are serialised), then the confirmed sign-ups
are counted and the new row is inserted as confirmed or waitlisted before the lock is released.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import outbox
from storage.models import HelpSession, OutboxMessage, Signup

CONFIRMED = "confirmed"
WAITLISTED = "waitlisted"
CANCELLED = "cancelled"
ACTIVE = (CONFIRMED, WAITLISTED)

# Easy to read aloud in Vietnamese: no 0/O, 1/I/L, and none of F J W Z (not Vietnamese letters).
CODE_ALPHABET = "ABCDEGHKMNPQRSTUVXY23456789"
CODE_LENGTH = 6
REMINDER_KEY = "session-reminder:{signup_id}"


@dataclass(frozen=True)
class SessionSpec:
    """One session as the organizers' file describes it (times already in UTC)."""

    slug: str
    title: str
    place: str
    address: str
    commune: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    topics: tuple[str, ...]
    bring: str
    contact: str


@dataclass(frozen=True)
class SessionSeats:
    """A session with its counts."""

    session: HelpSession
    confirmed: int
    waitlisted: int

    @property
    def free(self) -> int:
        return max(self.session.capacity - self.confirmed, 0)


@dataclass(frozen=True)
class Booking:
    """What `book` did: `status` is confirmed, waitlisted, already (held before) or closed."""

    status: str
    signup: Signup | None
    session: HelpSession | None
    waitlist_position: int = 0


@dataclass(frozen=True)
class Cancellation:
    """A cancelled sign-up and the waitlisted people who got its seat."""

    signup: Signup
    session: HelpSession
    promoted: list[Signup]


@dataclass
class ImportReport:
    """What an import changed, or why it was refused (then nothing changed)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    promoted: list[tuple[HelpSession, Signup]] = field(default_factory=list)


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


async def _unused_code(db: AsyncSession) -> str:
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


async def _count(db: AsyncSession, session_id: int, status: str) -> int:
    query = select(func.count()).where(Signup.session_id == session_id, Signup.status == status)
    return int(await db.scalar(query) or 0)


async def _seats(db: AsyncSession, sessions: Sequence[HelpSession]) -> list[SessionSeats]:
    ids = [s.id for s in sessions]
    counts: dict[tuple[int, str], int] = {}
    if ids:
        rows = await db.execute(
            select(Signup.session_id, Signup.status, func.count())
            .where(Signup.session_id.in_(ids), Signup.status.in_(ACTIVE))
            .group_by(Signup.session_id, Signup.status)
        )
        counts = {(sid, status): int(n) for sid, status, n in rows.all()}
    return [
        SessionSeats(s, counts.get((s.id, CONFIRMED), 0), counts.get((s.id, WAITLISTED), 0))
        for s in sessions
    ]


async def upcoming_sessions(db: AsyncSession, now: datetime) -> list[SessionSeats]:
    """Sessions not started yet, soonest first, with their counts."""
    query = (
        select(HelpSession)
        .where(HelpSession.starts_at > now)
        .order_by(HelpSession.starts_at, HelpSession.commune, HelpSession.id)
    )
    return await _seats(db, list((await db.execute(query)).scalars().all()))


async def all_sessions(db: AsyncSession) -> list[SessionSeats]:
    """Every session (past ones too), in time order, with counts."""
    query = select(HelpSession).order_by(HelpSession.starts_at, HelpSession.id)
    return await _seats(db, list((await db.execute(query)).scalars().all()))


async def session_seats(db: AsyncSession, session_id: int) -> SessionSeats | None:
    """One session with its counts."""
    session = await db.get(HelpSession, session_id)
    return None if session is None else (await _seats(db, [session]))[0]


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
            Signup.status == WAITLISTED,
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
        return Booking("closed", None, session)
    held = await active_signup(db, session_id, channel, chat_id)
    if held is not None:
        return Booking("already", held, session)
    confirmed = await _count(db, session_id, CONFIRMED)
    status = CONFIRMED if confirmed < session.capacity else WAITLISTED
    signup = Signup(
        session_id=session_id,
        channel=channel,
        chat_id=chat_id,
        full_name=full_name,
        phone=phone,
        need=need,
        code=await _unused_code(db),
        status=status,
        consent_at=consent_at,
        created_at=now,
        updated_at=now,
    )
    db.add(signup)
    await db.flush()
    position = await waitlist_position(db, signup) if status == WAITLISTED else 0
    return Booking(status, signup, session, position)


async def promote_waitlist(db: AsyncSession, session: HelpSession, now: datetime) -> list[Signup]:
    """Fill free seats from the waitlist, first come first served; the session must be locked."""
    free = session.capacity - await _count(db, session.id, CONFIRMED)
    if free <= 0:
        return []
    query = (
        select(Signup)
        .where(Signup.session_id == session.id, Signup.status == WAITLISTED)
        .order_by(Signup.created_at, Signup.id)
        .limit(free)
    )
    promoted = list((await db.execute(query)).scalars().all())
    for signup in promoted:
        signup.status = CONFIRMED
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
    signup.status = CANCELLED
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
            Signup.status == CONFIRMED,
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


async def session_by_slug(db: AsyncSession, slug: str) -> HelpSession | None:
    """The session with the organizers' id `slug`."""
    query = select(HelpSession).where(HelpSession.slug == slug)
    return (await db.execute(query)).scalar_one_or_none()


_FIELDS = (
    "title",
    "place",
    "address",
    "commune",
    "starts_at",
    "ends_at",
    "capacity",
    "bring",
    "contact",
)


def _differs(session: HelpSession, spec: SessionSpec) -> bool:
    changed = any(getattr(session, name) != getattr(spec, name) for name in _FIELDS)
    return changed or list(session.topics) != list(spec.topics)


async def import_sessions(
    db: AsyncSession, specs: Sequence[SessionSpec], now: datetime, *, prune: bool = False
) -> ImportReport:
    """Create or update sessions by slug; the caller rolls back when `report.refused`.

    Refused: lowering capacity below the confirmed count, and (with `prune`) deleting a
    session that still has active sign-ups. Raising capacity promotes waitlisted people.
    """
    report = ImportReport()
    for spec in specs:
        found = await session_by_slug(db, spec.slug)
        if found is None:
            db.add(
                HelpSession(
                    slug=spec.slug,
                    created_at=now,
                    updated_at=now,
                    topics=list(spec.topics),
                    **{name: getattr(spec, name) for name in _FIELDS},
                )
            )
            report.created.append(spec.slug)
            continue
        session = await lock_session(db, found.id)
        assert session is not None
        if not _differs(session, spec):
            report.unchanged.append(spec.slug)
            continue
        confirmed = await _count(db, session.id, CONFIRMED)
        waitlisted = await _count(db, session.id, WAITLISTED)
        if spec.capacity < confirmed:
            report.refused.append(
                f"{spec.slug}: capacity {spec.capacity} is below the {confirmed} confirmed "
                "sign-ups; keep the capacity or cancel sign-ups first"
            )
            continue
        if (confirmed or waitlisted) and (
            spec.starts_at != session.starts_at or spec.place != session.place
        ):
            report.warnings.append(
                f"{spec.slug}: time or place changed with {confirmed + waitlisted} active "
                "sign-up(s); they are NOT told automatically, please contact them"
            )
        for name in _FIELDS:
            setattr(session, name, getattr(spec, name))
        session.topics = list(spec.topics)
        session.updated_at = now
        await db.flush()
        report.updated.append(spec.slug)
        if session.starts_at > now:
            report.promoted += [(session, s) for s in await promote_waitlist(db, session, now)]
    await _remove_missing(db, {spec.slug for spec in specs}, prune, report)
    await db.flush()
    return report


async def _remove_missing(
    db: AsyncSession, slugs: set[str], prune: bool, report: ImportReport
) -> None:
    for seats in await all_sessions(db):
        session = seats.session
        if session.slug in slugs:
            continue
        active = seats.confirmed + seats.waitlisted
        if not prune:
            report.kept.append(session.slug)
        elif active:
            report.refused.append(
                f"{session.slug}: not in the file but has {active} active sign-up(s); "
                "it is not deleted (keep it in the file, or cancel the sign-ups first)"
            )
        else:
            await db.execute(delete(Signup).where(Signup.session_id == session.id))
            await db.delete(session)
            report.deleted.append(session.slug)


async def delete_ended_before(db: AsyncSession, cutoff: datetime) -> int:
    """Retention: sign-ups (names, phones) of sessions that ended before `cutoff`."""
    ended = select(HelpSession.id).where(HelpSession.ends_at < cutoff)
    result = await db.execute(delete(Signup).where(Signup.session_id.in_(ended)))
    return int(result.rowcount)  # type: ignore[attr-defined]
