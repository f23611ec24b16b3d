"""Check-in at the door: marking attendance, adding walk-ins, and attendance per session."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import HelpSession, Signup, SignupStatus
from storage.signups import lock_session, unused_code

WALK_IN_CHANNEL = "walk-in"


@dataclass(frozen=True)
class Attendance:
    """One session's door figures; no-shows count only once the session has started."""

    confirmed: int  # booked seats (walk-ins not included)
    attended: int  # booked people who came
    walk_ins: int

    def no_shows(self, started: bool) -> int:
        return self.confirmed - self.attended if started else 0

    def rate(self) -> float | None:
        """Share of booked people who came (None without bookings)."""
        return self.attended / self.confirmed if self.confirmed else None


async def check_in(db: AsyncSession, signup: Signup, now: datetime) -> bool:
    """Mark a confirmed sign-up as attended; False when it already was (idempotent)."""
    if signup.attended_at is not None:
        return False
    signup.attended_at = now
    signup.updated_at = now
    await db.flush()
    return True


async def add_walk_in(
    db: AsyncSession,
    *,
    session_id: int,
    full_name: str,
    phone: str,
    need: str,
    now: datetime,
) -> Signup | None:
    """Someone who came without booking and agreed to be written down; None without session.

    A walk-in is attended and confirmed, outside the capacity (they are already in the room).
    """
    session = await lock_session(db, session_id)
    if session is None:
        return None
    signup = Signup(
        session_id=session_id,
        channel=WALK_IN_CHANNEL,
        chat_id=secrets.token_hex(8),
        full_name=full_name,
        phone=phone,
        need=need,
        code=await unused_code(db),
        status=SignupStatus.CONFIRMED,
        consent_at=now,
        created_at=now,
        updated_at=now,
        attended_at=now,
        walk_in=True,
    )
    db.add(signup)
    await db.flush()
    return signup


async def per_session(db: AsyncSession, session_ids: Iterable[int]) -> dict[int, Attendance]:
    """Attendance of each session (sessions without sign-ups have zeros)."""
    ids = list(session_ids)
    found: dict[int, Attendance] = {i: Attendance(0, 0, 0) for i in ids}
    if not ids:
        return found
    rows = await db.execute(
        select(
            Signup.session_id,
            Signup.walk_in,
            func.count(),
            func.count(Signup.attended_at),
        )
        .where(Signup.session_id.in_(ids), Signup.status == SignupStatus.CONFIRMED)
        .group_by(Signup.session_id, Signup.walk_in)
    )
    for session_id, walk_in, total, attended in rows.all():
        now = found[session_id]
        if walk_in:
            found[session_id] = Attendance(now.confirmed, now.attended, now.walk_ins + total)
        else:
            found[session_id] = Attendance(
                now.confirmed + total, now.attended + attended, now.walk_ins
            )
    return found


async def attendees(db: AsyncSession, session_id: int) -> list[Signup]:
    """The session's confirmed and waitlisted people, in booking order (walk-ins last)."""
    query = (
        select(Signup)
        .where(
            Signup.session_id == session_id,
            Signup.status.in_((SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)),
        )
        .order_by(Signup.walk_in, Signup.status, Signup.created_at, Signup.id)
    )
    return list((await db.execute(query)).scalars().all())


async def session_of(db: AsyncSession, signup: Signup) -> HelpSession | None:
    return await db.get(HelpSession, signup.session_id)
