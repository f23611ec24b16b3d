"""The OA token lifecycle against the fake OAuth server: ahead of expiry, once, loudly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import aiohttp
import pytest

from bot.channels.base import TemporaryFailure
from bot.channels.zalo.errors import AuthorizationLost, OutsideWindow
from bot.channels.zalo.oa_api import OaApi, OaClient
from bot.channels.zalo.tokens import (
    MemoryTokenStore,
    StoredTokens,
    TokenKeeper,
    TokenPair,
    TokenPolicy,
    TokenProblem,
    TokenProblemKind,
)
from bot.clock import ManualClock
from tests.fake_zalo import OA_APP_ID, OA_APP_SECRET, FakeZaloOA, Fault, IssuedTokens, oa_fault

CITIZEN = "6142494823000000000"
TEXT = {"text": "Nhắc lịch: buổi hỗ trợ cài VNeID sáng mai."}
POLICY = TokenPolicy(poll_seconds=0.01, lease=timedelta(seconds=5))


class Problems(list[TokenProblem]):
    """Collects what the keeper reports (the adapter logs it and alerts organizers)."""

    async def __call__(self, problem: TokenProblem) -> None:
        self.append(problem)

    @property
    def kinds(self) -> list[TokenProblemKind]:
        return [problem.kind for problem in self]


class WatchedStore(MemoryTokenStore):
    """A shared store that tells when someone has looked at a record under a lease."""

    def __init__(self, tokens: StoredTokens, now: ManualClock) -> None:
        super().__init__(tokens)
        self._clock = now
        self.saw_lease = asyncio.Event()

    async def load(self) -> StoredTokens | None:
        tokens = await super().load()
        if tokens is not None and tokens.leased(self._clock.now()):
            self.saw_lease.set()
        return tokens


@pytest.fixture
async def oa(clock: ManualClock) -> AsyncIterator[FakeZaloOA]:
    async with FakeZaloOA(clock.now) as server:
        server.add_user(CITIZEN)
        yield server


@pytest.fixture
async def api(oa: FakeZaloOA, clock: ManualClock) -> AsyncIterator[OaApi]:
    async with aiohttp.ClientSession() as session:
        yield OaApi(
            session,
            app_id=OA_APP_ID,
            app_secret=OA_APP_SECRET,
            now=clock.now,
            api_base=oa.api_base,
            oauth_base=oa.oauth_base,
            timeout_seconds=2,
        )


def stored(
    issued: IssuedTokens, now: datetime, refresh_left: timedelta | None = None
) -> StoredTokens:
    """What `zalo token set` would store for a pair just issued."""
    return StoredTokens(
        TokenPair(
            issued.access_token,
            issued.refresh_token,
            now + timedelta(seconds=issued.expires_in),
            now + (refresh_left or timedelta(days=90)),
        )
    )


@pytest.fixture
def problems() -> Problems:
    return Problems()


@pytest.fixture
def store(oa: FakeZaloOA, clock: ManualClock) -> WatchedStore:
    return WatchedStore(stored(oa.issue_tokens(), clock.now()), clock)


def keeper_for(
    store: MemoryTokenStore, api: OaApi, clock: ManualClock, problems: Problems
) -> TokenKeeper:
    return TokenKeeper(store, api.refresh, clock.now, problems, POLICY)


@pytest.fixture
def keeper(store: WatchedStore, api: OaApi, clock: ManualClock, problems: Problems) -> TokenKeeper:
    return keeper_for(store, api, clock, problems)


async def current(store: MemoryTokenStore) -> TokenPair:
    tokens = await store.load()
    assert tokens is not None and tokens.lease_id is None
    return tokens.pair


async def test_a_fresh_token_is_used_as_is(
    oa: FakeZaloOA, keeper: TokenKeeper, store: WatchedStore, clock: ManualClock
) -> None:
    before = await current(store)
    clock.advance(timedelta(hours=19))
    assert await keeper.access_token() == before.access_token
    assert oa.calls_of("access_token") == []


async def test_refreshed_ahead_of_expiry_and_stored_before_use(
    oa: FakeZaloOA, keeper: TokenKeeper, store: WatchedStore, clock: ManualClock
) -> None:
    before = await current(store)
    clock.advance(timedelta(hours=20, minutes=1))
    token = await keeper.access_token()
    after = await current(store)
    assert token == after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token
    assert after.access_expires_at == clock.now() + timedelta(hours=25)
    assert after.refresh_expires_at == clock.now() + timedelta(days=90)
    assert len(oa.calls_of("access_token")) == 1
    assert await keeper.access_token() == token  # no second refresh


async def test_minus_216_refreshes_once_and_retries_once(
    oa: FakeZaloOA, keeper: TokenKeeper, store: WatchedStore, api: OaApi, problems: Problems
) -> None:
    oa.revoke_access_token((await current(store)).access_token)
    sent = await OaClient(api, keeper).send(CITIZEN, TEXT)
    assert sent.message_id
    assert [c.operation for c in oa.calls] == ["message/cs", "access_token", "message/cs"]
    assert [c.answer["error"] for c in oa.calls_of("message/cs")[:1]] == [-216]
    assert problems == []


async def test_minus_220_refreshes_too(
    oa: FakeZaloOA, keeper: TokenKeeper, store: WatchedStore, api: OaApi
) -> None:
    oa.expire_access_token((await current(store)).access_token)  # expired early, server-side
    await OaClient(api, keeper).send(CITIZEN, TEXT)
    assert [c.operation for c in oa.calls] == ["message/cs", "access_token", "message/cs"]


async def test_a_fresh_token_rejected_again_is_reported_not_retried_forever(
    oa: FakeZaloOA, keeper: TokenKeeper, api: OaApi, problems: Problems
) -> None:
    oa.fail("message/cs", oa_fault(-216), times=4)
    with pytest.raises(AuthorizationLost):
        await OaClient(api, keeper).send(CITIZEN, TEXT)
    assert [c.operation for c in oa.calls] == ["message/cs", "access_token", "message/cs"]
    with pytest.raises(AuthorizationLost):
        await OaClient(api, keeper).send(CITIZEN, TEXT)
    assert problems.kinds == [TokenProblemKind.ACCESS_REJECTED]  # told once


async def test_delivery_errors_other_than_tokens_pass_through_without_refresh(
    oa: FakeZaloOA, keeper: TokenKeeper, api: OaApi, clock: ManualClock
) -> None:
    oa.add_user("old", last_interaction=clock.now() - timedelta(days=8))
    with pytest.raises(OutsideWindow):
        await OaClient(api, keeper).send("old", TEXT)
    assert oa.calls_of("access_token") == []


@pytest.mark.parametrize("still_valid", [False, True])
async def test_two_processes_refresh_with_one_call(
    oa: FakeZaloOA,
    api: OaApi,
    store: WatchedStore,
    clock: ManualClock,
    problems: Problems,
    still_valid: bool,
) -> None:
    """Two keepers (two processes) on one store: one spends the refresh token, the other
    waits for the new pair, or keeps the old token while it is still valid."""
    before = await current(store)
    clock.advance(timedelta(hours=21) if still_valid else timedelta(hours=26))
    first_keeper = keeper_for(store, api, clock, problems)
    second_keeper = keeper_for(store, api, clock, problems)
    hold = oa.hold("access_token")
    first = asyncio.create_task(first_keeper.access_token())
    await asyncio.wait_for(hold.entered.wait(), 5)  # the refresh is on the wire, under lease
    second = asyncio.create_task(second_keeper.access_token())
    if still_valid:
        assert await asyncio.wait_for(second, 5) == before.access_token
    else:
        await asyncio.wait_for(store.saw_lease.wait(), 5)  # it saw the lease and waits
        assert not second.done()
    hold.release()
    token = await asyncio.wait_for(first, 5)
    assert token == (await current(store)).access_token != before.access_token
    if not still_valid:
        assert await asyncio.wait_for(second, 5) == token
    assert len(oa.calls_of("access_token")) == 1
    assert problems == []


async def test_a_reused_refresh_token_is_burned_and_reported_once(
    oa: FakeZaloOA, api: OaApi, clock: ManualClock, problems: Problems
) -> None:
    issued = oa.issue_tokens()
    await api.refresh(issued.refresh_token)  # somebody spent it (a copy of the database...)
    store = MemoryTokenStore(stored(issued, clock.now()))
    keeper = keeper_for(store, api, clock, problems)
    clock.advance(timedelta(hours=26))
    with pytest.raises(AuthorizationLost):
        await keeper.access_token()
    with pytest.raises(AuthorizationLost):
        await keeper.access_token()
    assert len(oa.calls_of("access_token")) == 2  # ours once, then never again
    assert problems.kinds == [TokenProblemKind.REFRESH_REJECTED]
    assert (await store.load()).lease_id is None  # type: ignore[union-attr]
    # An organizer stores a new pair: sending resumes.
    await store.save(stored(oa.issue_tokens(), clock.now()))
    assert await keeper.access_token()


async def test_a_rejected_refresh_ahead_of_expiry_keeps_the_valid_token(
    oa: FakeZaloOA, keeper: TokenKeeper, store: WatchedStore, clock: ManualClock, problems: Problems
) -> None:
    before = await current(store)
    oa.fail("access_token", Fault(200, {"error": -14014, "error_description": "revoked"}))
    clock.advance(timedelta(hours=21))
    assert await keeper.access_token() == before.access_token
    assert problems.kinds == [TokenProblemKind.REFRESH_REJECTED]


async def test_a_failed_refresh_is_reported_and_retried_after_a_quiet_minute(
    oa: FakeZaloOA, keeper: TokenKeeper, store: WatchedStore, clock: ManualClock, problems: Problems
) -> None:
    before = await current(store)
    oa.fail("access_token", Fault(503, "unavailable"))
    clock.advance(timedelta(hours=21))
    assert await keeper.access_token() == before.access_token
    assert await keeper.access_token() == before.access_token  # quiet: no second attempt
    assert len(oa.calls_of("access_token")) == 1
    assert problems.kinds == [TokenProblemKind.REFRESH_ERROR]
    clock.advance(timedelta(minutes=1))
    assert await keeper.access_token() != before.access_token
    assert len(oa.calls_of("access_token")) == 2


async def test_a_failed_refresh_of_an_expired_token_is_temporary(
    oa: FakeZaloOA, keeper: TokenKeeper, clock: ManualClock, problems: Problems
) -> None:
    oa.fail("access_token", Fault(500, "oops"), times=2)
    clock.advance(timedelta(hours=26))
    with pytest.raises(TemporaryFailure):
        await keeper.access_token()
    with pytest.raises(TemporaryFailure, match="retrying later"):
        await keeper.access_token()
    assert len(oa.calls_of("access_token")) == 1


async def test_no_stored_pair_is_reported_once(
    api: OaApi, clock: ManualClock, problems: Problems
) -> None:
    keeper = keeper_for(MemoryTokenStore(), api, clock, problems)
    for _ in range(3):
        with pytest.raises(AuthorizationLost):
            await keeper.access_token()
    assert problems.kinds == [TokenProblemKind.MISSING]


async def test_a_refresh_token_near_its_end_is_reported_once(
    oa: FakeZaloOA, api: OaApi, clock: ManualClock, problems: Problems
) -> None:
    store = MemoryTokenStore(stored(oa.issue_tokens(), clock.now(), timedelta(days=10)))
    keeper = keeper_for(store, api, clock, problems)
    await keeper.access_token()
    await keeper.access_token()
    [problem] = problems
    assert problem.kind is TokenProblemKind.EXPIRING_SOON
    assert problem.refresh_expires_at == clock.now() + timedelta(days=10)


async def test_a_failing_callback_does_not_break_sending(
    oa: FakeZaloOA, api: OaApi, clock: ManualClock
) -> None:
    async def broken(problem: TokenProblem) -> None:
        raise RuntimeError("alert channel down")

    store = MemoryTokenStore(stored(oa.issue_tokens(), clock.now(), timedelta(days=1)))
    keeper = TokenKeeper(store, api.refresh, clock.now, broken, POLICY)
    assert await keeper.access_token()


async def test_waiting_for_a_refresher_that_never_finishes_gives_up(
    oa: FakeZaloOA, api: OaApi, clock: ManualClock, problems: Problems
) -> None:
    tokens = stored(oa.issue_tokens(), clock.now())
    clock.advance(timedelta(hours=26))
    leased = StoredTokens(tokens.pair, "someone", clock.now() + timedelta(minutes=1))
    policy = TokenPolicy(poll_seconds=0.01, lease=timedelta(seconds=0.1))
    keeper = TokenKeeper(MemoryTokenStore(leased), api.refresh, clock.now, problems, policy)
    with pytest.raises(TemporaryFailure, match="still refreshing"):
        await keeper.access_token()
    assert oa.calls_of("access_token") == []


async def test_an_expired_lease_is_taken_over(
    oa: FakeZaloOA, api: OaApi, clock: ManualClock, problems: Problems
) -> None:
    tokens = stored(oa.issue_tokens(), clock.now())
    clock.advance(timedelta(hours=26))
    crashed = StoredTokens(tokens.pair, "crashed", clock.now() - timedelta(seconds=1))
    store = MemoryTokenStore(crashed)
    assert await keeper_for(store, api, clock, problems).access_token()
    assert len(oa.calls_of("access_token")) == 1


async def test_a_pair_stored_by_an_organizer_during_a_refresh_wins(
    oa: FakeZaloOA, keeper: TokenKeeper, store: WatchedStore, clock: ManualClock
) -> None:
    clock.advance(timedelta(hours=26))
    hold = oa.hold("access_token")
    refreshing = asyncio.create_task(keeper.access_token())
    await asyncio.wait_for(hold.entered.wait(), 5)
    organizer = stored(oa.issue_tokens(), clock.now())
    await store.save(organizer)
    hold.release()
    assert await asyncio.wait_for(refreshing, 5)  # this call still gets a valid token
    assert (await current(store)) == organizer.pair
