"""Zalo limits the sender checks before sending: the OA window and the Bot's monthly budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.zalo.errors import OutsideWindow, QuotaExhausted
from bot.channels.zalo.quota import MonthlyBudget, SendKind
from bot.channels.zalo.window import Window, require_open, window_at
from bot.clock import ManualClock

NOW = datetime(2026, 10, 3, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("age", "state"),
    [
        (timedelta(0), Window.FREE),
        (timedelta(hours=48), Window.FREE),
        (timedelta(hours=48, seconds=1), Window.PAID),
        (timedelta(days=7), Window.PAID),
        (timedelta(days=7, seconds=1), Window.CLOSED),
    ],
)
def test_window_states(age: timedelta, state: Window) -> None:
    assert window_at(NOW - age, NOW) is state


def test_never_interacted_is_closed_and_skipped_with_a_reason() -> None:
    assert window_at(None, NOW) is Window.CLOSED
    with pytest.raises(OutsideWindow) as caught:
        require_open(NOW - timedelta(days=8), NOW)
    assert caught.value.reason == "outside Zalo window"
    assert require_open(NOW - timedelta(days=3), NOW) is Window.PAID


class Warnings(list[tuple[int, int]]):
    async def __call__(self, used: int, limit: int) -> None:
        self.append((used, limit))


async def test_budget_warns_at_80_percent_once_and_keeps_the_rest_for_replies() -> None:
    clock, warnings = ManualClock(NOW), Warnings()
    budget = MonthlyBudget(clock.now, warnings, limit=100)
    for _ in range(79):
        budget.check(SendKind.PROACTIVE)
        await budget.record()
    assert warnings == []
    await budget.record()
    assert warnings == [(80, 100)]
    for _ in range(10):
        budget.check(SendKind.PROACTIVE)
        await budget.record()
    with pytest.raises(QuotaExhausted, match="proactive held back"):
        budget.check(SendKind.PROACTIVE)  # 90 used: the last 10 are for replies
    for _ in range(10):
        budget.check(SendKind.REPLY)
        await budget.record()
    with pytest.raises(QuotaExhausted):
        budget.check(SendKind.REPLY)
    assert warnings == [(80, 100)] and budget.used == 100


def test_the_default_is_the_basic_plan() -> None:
    budget = MonthlyBudget(ManualClock(NOW).now, Warnings(), used=2999)
    budget.check(SendKind.REPLY)
    with pytest.raises(QuotaExhausted):
        budget.check(SendKind.PROACTIVE)


async def test_a_long_reply_is_checked_as_a_whole() -> None:
    budget = MonthlyBudget(ManualClock(NOW).now, Warnings(), limit=10, used=8)
    budget.check(SendKind.REPLY, 2)
    with pytest.raises(QuotaExhausted):
        budget.check(SendKind.REPLY, 3)


async def test_the_budget_starts_again_with_the_month_in_vietnam() -> None:
    clock, warnings = ManualClock(datetime(2026, 10, 31, 16, 59, tzinfo=UTC)), Warnings()
    budget = MonthlyBudget(clock.now, warnings, limit=10, used=9)
    assert budget.used == 9
    clock.advance(timedelta(minutes=1))  # 00:00 on 1 November in Vietnam
    assert budget.used == 0
    budget.check(SendKind.PROACTIVE, 9)
    await budget.record(8)
    assert warnings == [(8, 10)]  # a new month warns again
