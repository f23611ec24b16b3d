"""Volunteers' hours (VOLUNTEER_HOURS, Vietnam time): how long a ticket waited within them,
and what to promise a citizen who writes now."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import VN_TZ, DailyWindow, to_local
from bot.config import Settings
from handlers.volunteers import texts as say


def volunteer_hours(settings: Settings) -> DailyWindow:
    """The configured hours (validated when the settings were read)."""
    return DailyWindow.parse(settings.volunteer_hours)


def time_on_duty(window: DailyWindow, start: datetime, end: datetime) -> timedelta:
    """How much of [start, end) falls within the daily window (which may cross midnight)."""
    total = timedelta(0)
    if end <= start:
        return total
    crosses_midnight = window.end <= window.start
    # A window crossing midnight that covers `start` opened the day before.
    day = to_local(start).date() - timedelta(days=1)
    while day <= to_local(end).date():
        opens = datetime.combine(day, window.start, VN_TZ)
        closes = datetime.combine(day + timedelta(days=crosses_midnight), window.end, VN_TZ)
        overlap = min(closes, end) - max(opens, start)
        if overlap > timedelta(0):
            total += overlap
        day += timedelta(days=1)
    return total


def expectation(settings: Settings, now: datetime) -> str:
    """An honest word on when an answer can come, for the ticket's confirmation."""
    window = volunteer_hours(settings)
    if window.contains(now):
        return say.on_duty(window, settings.volunteer_give_up_minutes)
    return say.off_duty(window, now, window.next_start_after(now))
