"""The overview's figures, from the same storage functions the organizer commands use."""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import VN_TZ, to_local
from handlers.reminders.daily import KIND as REMINDER_KIND
from storage import (
    attendance,
    help_sessions,
    outbox_reports,
    question_counts,
    signups,
    subscriptions,
    tickets,
)
from storage.models import OutboxMessage, TicketStatus

DAYS = 14
SHARED = ("answer", "suggest", "fallback")


@dataclass
class Overview:
    questions: int = 0
    shares: dict[str, float | None] = field(default_factory=dict)
    questions_per_day: list[tuple[str, int]] = field(default_factory=list)
    signups_per_day: list[tuple[str, int]] = field(default_factory=list)
    confirmed: int = 0
    waitlisted: int = 0
    seats_left: int = 0
    upcoming_sessions: int = 0
    subscribers: int = 0
    reminders_today: int = 0
    tickets_waiting: int = 0
    tickets_claimed: int = 0
    median_wait: timedelta | None = None
    attended: int = 0  # checked in, at any session (walk-ins not included)
    attended_past: int = 0  # of them, at sessions that have begun
    booked_past: int = 0
    no_shows: int = 0
    walk_ins: int = 0

    @property
    def attendance_rate(self) -> float | None:
        return self.attended_past / self.booked_past if self.booked_past else None

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.booked_past if self.booked_past else None


def duration_vi(span: timedelta) -> str:
    """'45 giây', '14 phút', '2 giờ 05 phút', '3 ngày 4 giờ'."""
    seconds = max(int(span.total_seconds()), 0)
    minutes, hours = seconds // 60, seconds // 3600
    if seconds < 60:
        return f"{seconds} giây"
    if minutes < 60:
        return f"{minutes} phút"
    if hours < 24:
        return f"{hours} giờ {minutes % 60:02d} phút"
    return f"{hours // 24} ngày {hours % 24} giờ"


def _days(today: date) -> list[date]:
    return [today - timedelta(days=DAYS - 1 - i) for i in range(DAYS)]


def start_of_local_day(moment: datetime) -> datetime:
    """Midnight (Vietnam time) of the moment's day, as an aware datetime."""
    return datetime.combine(to_local(moment).date(), time(0), tzinfo=VN_TZ)


async def overview(db: AsyncSession, now: datetime) -> Overview:
    """Everything the overview page shows."""
    found = Overview()
    days = _days(to_local(now).date())
    counted = await question_counts.per_day(db, days[0], days[-1])
    totals: Counter[str] = Counter()
    for per_action in counted.values():
        totals.update(per_action)
    found.questions = sum(totals.values())
    shared = sum(totals[a] for a in SHARED)
    found.shares = {a: (totals[a] / shared if shared else None) for a in SHARED}
    found.questions_per_day = [
        (f"{d:%d/%m}", sum(counted.get(d.isoformat(), {}).values())) for d in days
    ]
    made = Counter(f"{to_local(s.created_at):%d/%m}" for s, _ in await signups.export_rows(db))
    found.signups_per_day = [(f"{d:%d/%m}", made[f"{d:%d/%m}"]) for d in days]
    for seats in await help_sessions.upcoming_sessions(db, now):
        found.upcoming_sessions += 1
        found.confirmed += seats.confirmed
        found.waitlisted += seats.waitlisted
        found.seats_left += seats.free
    found.subscribers = sum((await subscriptions.count_by_channel(db)).values())
    sent_today = await outbox_reports.status_report(
        db,
        OutboxMessage.kind == REMINDER_KIND,
        OutboxMessage.sent_at >= start_of_local_day(now),
    )
    found.reminders_today = sent_today.by_status.get("sent", 0)
    waiting = await tickets.with_status(db, TicketStatus.WAITING)
    found.tickets_waiting = len(waiting)
    found.tickets_claimed = len(await tickets.with_status(db, TicketStatus.CLAIMED))
    if waiting:
        seconds = statistics.median((now - t.waiting_since).total_seconds() for t in waiting)
        found.median_wait = timedelta(seconds=seconds)
    sessions = [s.session for s in await help_sessions.all_sessions(db)]
    started = {s.id for s in sessions if s.starts_at <= now}
    for session_id, figures in (await attendance.per_session(db, [s.id for s in sessions])).items():
        found.attended += figures.attended
        found.walk_ins += figures.walk_ins
        if session_id in started:  # rates only once a session has begun
            found.attended_past += figures.attended
            found.booked_past += figures.confirmed
            found.no_shows += figures.no_shows(started=True)
    return found
