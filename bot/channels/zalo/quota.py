"""The Zalo Bot plan's monthly message budget: count sends, warn early, keep some for replies.

The Basic plan allows 3,000 outbound messages a month (S2 README and its quota-basic.png).
Its error when the quota runs out is undocumented [?], so the bot counts for itself, in a
store every worker shares, and holds back bulk messages (reminders, announcements) first,
then personal notices, keeping the last part of the budget for replies to citizens who
are waiting for one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.channels.zalo.errors import QuotaExhausted
from storage.outbox import Priority

BASIC_PLAN_MONTHLY_MESSAGES = 3000
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # the plan's month boundary is not documented [?]

OnBudgetWarning = Callable[[int, int], Awaitable[None]]  # (used, limit)


class SendKind(StrEnum):
    """Who waits for a message, from the outbox priority: refused in the reverse order."""

    REPLY = "reply"  # an answer to a citizen's message, or a volunteer's answer
    NOTICE = "notice"  # a personal notice (a seat from the waitlist, an organizer alert)
    BULK = "bulk"  # reminders and announcements to many people

    @classmethod
    def of_priority(cls, priority: int) -> SendKind:
        if priority >= Priority.BULK:
            return cls.BULK
        return cls.NOTICE if priority >= Priority.NOTICE else cls.REPLY


@dataclass(frozen=True)
class BudgetPolicy:
    """The month's limit, when to warn, and how much each kind may use of it."""

    limit: int = BASIC_PLAN_MONTHLY_MESSAGES
    warn_ratio: float = 0.8
    bulk_ratio: float = 0.9  # the last 10% are never used by reminders and announcements
    notice_ratio: float = 0.95  # the last 5% are for replies only

    @property
    def warn_at(self) -> int:
        return int(self.limit * self.warn_ratio)

    def ceiling(self, kind: SendKind) -> int:
        ratio = {SendKind.BULK: self.bulk_ratio, SendKind.NOTICE: self.notice_ratio}
        return int(self.limit * ratio.get(kind, 1.0))


class BudgetStore(Protocol):
    """Where the counts live, shared by every process (bot/channels/zalo/stores.py)."""

    async def reserve(self, month: str, messages: int, ceiling: int) -> int | None:
        """Count `messages` more if the total stays within `ceiling`: the new total, or None."""

    async def give_back(self, month: str, messages: int) -> None: ...

    async def use_up(self, month: str, limit: int) -> None: ...

    async def claim_warning(self, month: str, threshold: int) -> bool:
        """True for exactly one caller once `threshold` is reached in `month`."""


@dataclass(frozen=True)
class Reservation:
    """Messages counted before sending, to give back if the platform refuses them."""

    month: str
    messages: int


def month_of(moment: datetime) -> str:
    """The budget month of a moment: "2026-10", in Vietnam time."""
    return f"{moment.astimezone(VN_TZ):%Y-%m}"


class MonthlyBudget:
    """Reserves messages before they are sent; one instance per bot and process."""

    def __init__(
        self,
        store: BudgetStore,
        now: Callable[[], datetime],
        on_warning: OnBudgetWarning,
        policy: BudgetPolicy | None = None,
    ) -> None:
        self.store = store
        self.policy = policy or BudgetPolicy()
        self._now = now
        self._on_warning = on_warning

    async def reserve(self, kind: SendKind, messages: int = 1) -> Reservation:
        """Count messages about to be sent; QuotaExhausted when this kind must hold back."""
        month = month_of(self._now())
        policy = self.policy
        used = await self.store.reserve(month, messages, policy.ceiling(kind))
        if used is None:
            raise QuotaExhausted(
                "Zalo Bot monthly plan",
                f"{kind} held back: {policy.ceiling(kind)} of {policy.limit} may be used by it",
            )
        if used >= policy.warn_at and await self.store.claim_warning(month, policy.warn_at):
            await self._on_warning(used, policy.limit)
        return Reservation(month, messages)

    async def give_back(self, reservation: Reservation) -> None:
        """The platform refused the messages: they did not count."""
        await self.store.give_back(reservation.month, reservation.messages)

    async def use_up(self, reservation: Reservation) -> None:
        """The platform says the quota is gone, whatever our count says."""
        await self.store.use_up(reservation.month, self.policy.limit)
