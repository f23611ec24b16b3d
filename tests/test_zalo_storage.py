"""Zalo rows (token compare-and-swap, send counts kept a year) and the settings enabling Zalo."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import SecretStr

from bot.clock import ManualClock
from bot.config import Settings
from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.messages import Button
from bot.runtime import tidy_up
from storage import zalo
from storage.conversations import find_conversation
from storage.zalo import TokenRecord

APP_ID = "2553928453557884079"
COUNTER = "zalo_bot:1459232241454765289"


def record(app: AppContext, refresh: str, lease: str | None = None) -> TokenRecord:
    now = app.clock.now()
    until = now + timedelta(seconds=60) if lease else None
    return TokenRecord(
        "AT", refresh, now + timedelta(hours=25), now + timedelta(days=90), lease, until
    )


async def test_the_swap_writes_only_over_what_was_read(app: AppContext) -> None:
    now = app.clock.now()
    async with app.transaction() as db:
        await zalo.save_tokens(db, APP_ID, record(app, "RT-1"), now)
    claim = record(app, "RT-1", lease="me")
    async with app.transaction() as db:
        assert await zalo.swap_tokens(db, APP_ID, record(app, "RT-1"), claim, now)
        # A second claimer read the same record before: its swap finds the lease.
        assert not await zalo.swap_tokens(
            db, APP_ID, record(app, "RT-1"), record(app, "RT-1", "you"), now
        )
        # The lease holder stores the new pair; a stale lease id or refresh token fails.
        assert not await zalo.swap_tokens(
            db, APP_ID, record(app, "RT-1", "you"), record(app, "RT-2"), now
        )
        assert not await zalo.swap_tokens(
            db, APP_ID, record(app, "RT-0", "me"), record(app, "RT-2"), now
        )
        assert await zalo.swap_tokens(db, APP_ID, claim, record(app, "RT-2"), now)
        assert await zalo.swap_tokens(db, "another-app", claim, record(app, "RT-3"), now) is False
    async with app.transaction() as db:
        await zalo.save_tokens(db, APP_ID, record(app, "RT-9", lease="stuck"), now)
        await zalo.save_tokens(db, APP_ID, record(app, "RT-10"), now)  # an organizer's new pair
    async with app.open_db() as db:
        stored = await zalo.load_tokens(db, APP_ID)
    assert stored is not None and (stored.refresh_token, stored.lease_id) == ("RT-10", None)


async def test_send_counts_are_kept_about_a_year(
    app: AppContext, dispatcher: Dispatcher, clock: ManualClock
) -> None:
    async with app.transaction() as db:
        for month in ("2025-07", "2025-08", "2026-09"):
            assert await zalo.reserve_sends(db, COUNTER, month, 5, 100) == 5
    await tidy_up(app, dispatcher.router.flows())
    async with app.open_db() as db:
        kept = [await zalo.sends_used(db, COUNTER, m) for m in ("2025-07", "2025-08", "2026-09")]
    assert kept == [0, 5, 5]  # today is 28 September 2026


async def test_buttons_shown_outside_a_turn_create_no_conversation(
    app: AppContext, dispatcher: Dispatcher
) -> None:
    await dispatcher.show_buttons("zalo_bot", "nobody", [Button("A", "menu:main")])
    async with app.open_db() as db:
        assert await find_conversation(db, "zalo_bot", "nobody") is None


def test_the_oa_runs_only_with_all_three_settings() -> None:
    base = Settings(_env_file=None)  # type: ignore[call-arg]
    assert base.zalo_oa_configured() is False
    full = base.model_copy(
        update={
            "zalo_oa_app_id": APP_ID,
            "zalo_oa_secret_key": SecretStr("oa-secret"),
            "zalo_oa_app_secret": SecretStr("app-secret"),
        }
    )
    assert full.zalo_oa_configured() is True
    half = full.model_copy(update={"zalo_oa_app_secret": None})
    with pytest.raises(ValueError, match="ZALO_OA_APP_SECRET"):
        half.zalo_oa_configured()
    assert {"oa-secret", "app-secret"} <= set(full.secret_values())
