"""Help sessions as organizers define them: import by slug, and seats for listing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import HelpSession, Signup, SignupStatus
from storage.signups import ACTIVE, count_with_status, lock_session, promote_waitlist


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
        SessionSeats(
            s,
            counts.get((s.id, SignupStatus.CONFIRMED), 0),
            counts.get((s.id, SignupStatus.WAITLISTED), 0),
        )
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


def changes(session: HelpSession, spec: SessionSpec) -> list[str]:
    """Names of the fields the spec would change (for a dry run's diff)."""
    names = [name for name in _FIELDS if getattr(session, name) != getattr(spec, name)]
    return names + (["topics"] if list(session.topics) != list(spec.topics) else [])


def _differs(session: HelpSession, spec: SessionSpec) -> bool:
    return bool(changes(session, spec))


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
        confirmed = await count_with_status(db, session.id, SignupStatus.CONFIRMED)
        waitlisted = await count_with_status(db, session.id, SignupStatus.WAITLISTED)
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


async def delete_if_empty(db: AsyncSession, session_id: int) -> int | None:
    """Delete a session nobody is signed up for (confirmed or waitlisted), as `--prune`
    would; returns the active sign-ups that prevent it (0 when deleted), None when missing."""
    session = await lock_session(db, session_id)
    if session is None:
        return None
    active = await count_with_status(db, session_id, SignupStatus.CONFIRMED)
    active += await count_with_status(db, session_id, SignupStatus.WAITLISTED)
    if active:
        return active
    await db.execute(delete(Signup).where(Signup.session_id == session_id))
    await db.delete(session)
    await db.flush()
    return 0
