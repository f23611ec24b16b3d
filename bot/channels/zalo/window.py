"""The OA interaction window: CS messages only within 7 days of the citizen's last interaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from bot.channels.zalo.errors import OutsideWindow

# O6 quoting dieu-kien-gui-tin-tu-van, O4, O5 §5.2.
FREE_WINDOW = timedelta(hours=48)
CS_WINDOW = timedelta(days=7)


class Window(StrEnum):
    """Where a citizen stands, from the time of their last message, follow or tap."""

    FREE = "free"  # within 48 h: CS messages cost nothing
    PAID = "paid"  # 48 h to 7 days: CS messages are billed
    CLOSED = "closed"  # beyond 7 days, or never: the OA refuses CS messages (-230/-232)


def window_at(last_interaction: datetime | None, now: datetime) -> Window:
    """The window state now, given the last interaction we recorded (None: never)."""
    if last_interaction is None:
        return Window.CLOSED
    age = now - last_interaction
    if age <= FREE_WINDOW:
        return Window.FREE
    return Window.PAID if age <= CS_WINDOW else Window.CLOSED


def require_open(last_interaction: datetime | None, now: datetime) -> Window:
    """The window state, or OutsideWindow before a send the OA would refuse anyway."""
    state = window_at(last_interaction, now)
    if state is Window.CLOSED:
        raise OutsideWindow("no interaction in the last 7 days")
    return state
