"""Injectable time source; times are stored in UTC and shown in Vietnam time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    """Anything that tells the current UTC time."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta) -> None:
        self._now += delta

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """Treat a naive datetime (as SQLite returns them) as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def to_local(moment: datetime) -> datetime:
    """Convert a stored UTC time to Vietnam time for display."""
    return as_utc(moment).astimezone(VN_TZ)


def format_local(moment: datetime) -> str:
    """Vietnamese-style display, e.g. '08:30 ngày 05/10/2026'."""
    local = to_local(moment)
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"
