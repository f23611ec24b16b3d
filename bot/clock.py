"""Injectable time source; times are stored in UTC and shown in Vietnam time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
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


def parse_hhmm(text: str) -> time:
    """'07:30' -> time(7, 30); ValueError for anything else."""
    hours, _, minutes = text.strip().partition(":")
    if not (hours.isascii() and hours.isdigit() and minutes.isascii() and minutes.isdigit()):
        raise ValueError(f"not a HH:MM time: {text!r}")
    return time(int(hours), int(minutes))


@dataclass(frozen=True)
class DailyWindow:
    """A daily span of Vietnam time, e.g. quiet hours 21:00-07:00 (it may cross midnight)."""

    start: time
    end: time

    @classmethod
    def parse(cls, spec: str) -> DailyWindow:
        """'21:00-07:00' -> DailyWindow(21:00, 07:00)."""
        start, _, end = spec.partition("-")
        return cls(parse_hhmm(start), parse_hhmm(end))

    def contains(self, moment: datetime) -> bool:
        local = to_local(moment).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_start_after(self, moment: datetime) -> datetime:
        """The next time (UTC) this window opens after `moment`."""
        local = to_local(moment)
        opening = datetime.combine(local.date(), self.start, VN_TZ)
        if opening <= local:
            opening += timedelta(days=1)
        return opening.astimezone(UTC)
