"""The database behind the OA token keeper and the Zalo Bot budget, shared by every worker."""

from __future__ import annotations

from bot.channels.zalo.tokens import StoredTokens, TokenPair
from bot.context import AppContext
from storage import zalo
from storage.zalo import TokenRecord


class DatabaseTokenStore:
    """A TokenStore on the `zalo_oa_tokens` row of one app: a real compare-and-swap."""

    def __init__(self, app: AppContext, app_id: str) -> None:
        self.app = app
        self.app_id = app_id

    async def load(self) -> StoredTokens | None:
        async with self.app.open_db() as db:
            record = await zalo.load_tokens(db, self.app_id)
        return None if record is None else _stored(record)

    async def save(self, tokens: StoredTokens) -> None:
        async with self.app.transaction() as db:
            await zalo.save_tokens(db, self.app_id, record_of(tokens), self.app.clock.now())

    async def compare_and_swap(self, expected: StoredTokens, new: StoredTokens) -> bool:
        async with self.app.transaction() as db:
            return await zalo.swap_tokens(
                db, self.app_id, record_of(expected), record_of(new), self.app.clock.now()
            )


def record_of(tokens: StoredTokens) -> TokenRecord:
    """The row's values for stored tokens."""
    pair = tokens.pair
    return TokenRecord(
        pair.access_token,
        pair.refresh_token,
        pair.access_expires_at,
        pair.refresh_expires_at,
        tokens.lease_id,
        tokens.lease_until,
    )


def _stored(record: TokenRecord) -> StoredTokens:
    pair = TokenPair(
        record.access_token,
        record.refresh_token,
        record.access_expires_at,
        record.refresh_expires_at,
    )
    return StoredTokens(pair, record.lease_id, record.lease_until)


class DatabaseBudgetStore:
    """A BudgetStore on `zalo_send_counts`, one counter per bot."""

    def __init__(self, app: AppContext, counter: str) -> None:
        self.app = app
        self.counter = counter

    async def reserve(self, month: str, messages: int, ceiling: int) -> int | None:
        async with self.app.transaction() as db:
            return await zalo.reserve_sends(db, self.counter, month, messages, ceiling)

    async def give_back(self, month: str, messages: int) -> None:
        async with self.app.transaction() as db:
            await zalo.give_back_sends(db, self.counter, month, messages)

    async def use_up(self, month: str, limit: int) -> None:
        async with self.app.transaction() as db:
            await zalo.use_up_sends(db, self.counter, month, limit)

    async def claim_warning(self, month: str, threshold: int) -> bool:
        async with self.app.transaction() as db:
            return await zalo.claim_warning(
                db, self.counter, month, threshold, self.app.clock.now()
            )
