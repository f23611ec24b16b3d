"""The Zalo Bot plan's monthly message budget: count sends, warn early, keep some for replies.

The Basic plan allows 3,000 outbound messages a month (S2 README and its quota-basic.png).
Its error when the quota runs out is undocumented [?], so the bot counts for itself and
stops proactive messages (reminders) first, keeping the last part of the budget for
replies to citizens who are waiting for one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.channels.zalo.errors import QuotaExhausted

BASIC_PLAN_MONTHLY_MESSAGES = 3000
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # the plan's month boundary is not documented [?]

OnBudgetWarning = Callable[[int, int], Awaitable[None]]  # (used, limit)


class SendKind(StrEnum):
    REPLY = "reply"  # an answer to a citizen's message
    PROACTIVE = "proactive"  # reminders, announcements, volunteer relays


class MonthlyBudget:
    """Counts messages per calendar month; one instance per bot, seeded with `used`."""

    def __init__(
        self,
        now: Callable[[], datetime],
        on_warning: OnBudgetWarning,
        *,
        limit: int = BASIC_PLAN_MONTHLY_MESSAGES,
        warn_ratio: float = 0.8,
        reserve_for_replies: float = 0.1,
        used: int = 0,
    ) -> None:
        self.limit = limit
        self._now = now
        self._on_warning = on_warning
        self._warn_at = int(limit * warn_ratio)
        self._proactive_limit = int(limit * (1 - reserve_for_replies))
        self._month = self._current_month()
        self._used = used
        self._warned = used >= self._warn_at

    @property
    def used(self) -> int:
        self._roll_over()
        return self._used

    def check(self, kind: SendKind, messages: int = 1) -> None:
        """Raise QuotaExhausted if `messages` more of this kind would go over budget."""
        ceiling = self.limit if kind is SendKind.REPLY else self._proactive_limit
        if self.used + messages > ceiling:
            raise QuotaExhausted(
                "Zalo Bot monthly plan", f"{self._used}/{self.limit} used, {kind} held back"
            )

    async def record(self, messages: int = 1) -> None:
        """Count messages sent; warn once a month when crossing the warning ratio."""
        self._roll_over()
        self._used += messages
        if not self._warned and self._used >= self._warn_at:
            self._warned = True
            await self._on_warning(self._used, self.limit)

    def _current_month(self) -> tuple[int, int]:
        local = self._now().astimezone(VN_TZ)
        return (local.year, local.month)

    def _roll_over(self) -> None:
        month = self._current_month()
        if month != self._month:
            self._month, self._used, self._warned = month, 0, False
