"""Limits checked before a Zalo send: the OA window and the Bot's monthly budget (database)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.zalo.errors import OutsideWindow, QuotaExhausted
from bot.channels.zalo.quota import BudgetPolicy, MonthlyBudget, SendKind
from bot.channels.zalo.stores import DatabaseBudgetStore
from bot.channels.zalo.window import Window, require_open, window_at
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import AppContext, Knowledge, build_app_context
from storage import zalo
from storage.outbox import Priority

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


COUNTER = "zalo_bot:1459232241454765289"


def budget_for(app: AppContext, warnings: Warnings, limit: int = 100) -> MonthlyBudget:
    store = DatabaseBudgetStore(app, COUNTER)
    return MonthlyBudget(store, app.clock.now, warnings, BudgetPolicy(limit=limit))


async def used(app: AppContext, month: str = "2026-09") -> int:
    async with app.open_db() as db:
        return await zalo.sends_used(db, COUNTER, month)


def test_priorities_map_to_kinds() -> None:
    assert SendKind.of_priority(Priority.REPLY) is SendKind.REPLY
    assert SendKind.of_priority(Priority.NOTICE) is SendKind.NOTICE
    assert SendKind.of_priority(Priority.BULK) is SendKind.BULK
    assert SendKind.of_priority(Priority.BULK + 5) is SendKind.BULK


async def test_budget_warns_at_80_percent_once_and_holds_bulk_back_first(
    app: AppContext,
) -> None:
    warnings = Warnings()
    budget = budget_for(app, warnings)
    for _ in range(79):
        await budget.reserve(SendKind.BULK)
    assert warnings == []
    await budget.reserve(SendKind.BULK)
    assert warnings == [(80, 100)]
    await budget.reserve(SendKind.BULK, 10)
    with pytest.raises(QuotaExhausted, match="bulk held back"):
        await budget.reserve(SendKind.BULK)  # 90 used: the last 10 are not for broadcasts
    await budget.reserve(SendKind.NOTICE, 5)
    with pytest.raises(QuotaExhausted, match="notice held back"):
        await budget.reserve(SendKind.NOTICE)  # the last 5 are for replies
    await budget.reserve(SendKind.REPLY, 5)
    with pytest.raises(QuotaExhausted) as caught:
        await budget.reserve(SendKind.REPLY)
    assert caught.value.reason.startswith("Zalo quota exhausted")
    assert warnings == [(80, 100)] and await used(app) == 100


async def test_a_long_reply_is_reserved_as_a_whole_and_refusals_are_given_back(
    app: AppContext,
) -> None:
    budget = budget_for(app, Warnings(), limit=10)
    await budget.reserve(SendKind.REPLY, 8)
    with pytest.raises(QuotaExhausted):
        await budget.reserve(SendKind.REPLY, 3)
    assert await used(app) == 8  # a refused reservation takes nothing
    reservation = await budget.reserve(SendKind.REPLY, 2)
    await budget.give_back(reservation)
    assert await used(app) == 8
    await budget.use_up(reservation)  # Zalo said the quota is gone
    assert await used(app) == 10


async def test_the_default_is_the_basic_plan(app: AppContext) -> None:
    store = DatabaseBudgetStore(app, COUNTER)
    budget = MonthlyBudget(store, app.clock.now, Warnings())
    assert budget.policy.limit == 3000
    await budget.reserve(SendKind.REPLY, 2700)
    with pytest.raises(QuotaExhausted):
        await budget.reserve(SendKind.BULK)


async def test_workers_share_one_count(
    app: AppContext, settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    """Two engines on one database (two workers) never take more than the ceiling."""
    other = build_app_context(settings, clock, knowledge)
    try:
        warnings = Warnings()
        budgets = [budget_for(app, warnings, limit=20), budget_for(other, warnings, limit=20)]

        async def try_one(budget: MonthlyBudget) -> bool:
            try:
                await budget.reserve(SendKind.BULK)
            except QuotaExhausted:
                return False
            return True

        results = await asyncio.gather(*(try_one(budgets[n % 2]) for n in range(30)))
        assert sum(results) == 18  # 90% of 20
        assert await used(app) == 18
        # Warned once, by whichever worker crossed 80% (others may have counted meanwhile).
        [(seen, limit)] = warnings
        assert 16 <= seen <= 18 and limit == 20
    finally:
        await other.close()


async def test_the_budget_starts_again_with_the_month_in_vietnam(
    app: AppContext, clock: ManualClock
) -> None:
    clock.set(datetime(2026, 10, 31, 16, 59, tzinfo=UTC))
    warnings = Warnings()
    budget = budget_for(app, warnings, limit=10)
    await budget.reserve(SendKind.REPLY, 9)
    assert warnings == [(9, 10)]
    clock.advance(timedelta(minutes=1))  # 00:00 on 1 November in Vietnam
    await budget.reserve(SendKind.BULK, 8)
    assert warnings == [(9, 10), (8, 10)]  # a new month warns again
    assert (await used(app, "2026-10"), await used(app, "2026-11")) == (9, 8)
