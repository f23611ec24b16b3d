"""The OA token lifecycle: refresh ahead of expiry, one refresher at a time, loud failures.

The access token lasts about 25 h and the refresh token 3 months; a refresh token works
once and the refresh returns the next one (O4, O5 §4.2, O6). Two processes refreshing
with the same refresh token would burn it, so a refresh is guarded by a lease taken with a
compare-and-swap on the stored record: whoever wins the swap spends the refresh token, the
others keep using the current access token while it is valid, or wait for the new one.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar

from bot.channels.base import DeliveryError, TemporaryFailure
from bot.channels.zalo.errors import AuthorizationLost, RefreshRejected, TokenRejected

logger = logging.getLogger(__name__)

T = TypeVar("T")
# "3 months" (O6, O4, O5 §4.2); assumed to restart with each new token [?].
REFRESH_TOKEN_LIFETIME = timedelta(days=90)


@dataclass(frozen=True)
class TokenGrant:
    """What the OAuth server answered: a new pair and the access token's lifetime."""

    access_token: str
    refresh_token: str
    expires_in: timedelta


@dataclass(frozen=True)
class TokenPair:
    """An access token and the single-use refresh token that replaces it, with expiries."""

    access_token: str
    refresh_token: str
    access_expires_at: datetime
    refresh_expires_at: datetime

    @classmethod
    def from_grant(cls, grant: TokenGrant, now: datetime) -> TokenPair:
        return cls(
            grant.access_token,
            grant.refresh_token,
            now + grant.expires_in,
            now + REFRESH_TOKEN_LIFETIME,
        )


@dataclass(frozen=True)
class StoredTokens:
    """The stored record: the pair and, while someone refreshes it, their lease."""

    pair: TokenPair
    lease_id: str | None = None
    lease_until: datetime | None = None

    def leased(self, now: datetime) -> bool:
        return self.lease_until is not None and now < self.lease_until


class TokenStore(Protocol):
    """Where the pair lives; one record per OA, shared by every process.

    `compare_and_swap` writes `new` only if the stored record still has `expected`'s
    refresh token and lease id, and tells whether it did. A database implements it as one
    `UPDATE ... WHERE refresh_token = :rt AND lease_id IS NOT DISTINCT FROM :lease`
    (or under a row lock) and checks the row count.
    """

    async def load(self) -> StoredTokens | None: ...

    async def save(self, tokens: StoredTokens) -> None:
        """Overwrite unconditionally: an organizer storing the first or a new pair."""

    async def compare_and_swap(self, expected: StoredTokens, new: StoredTokens) -> bool: ...


class MemoryTokenStore:
    """A TokenStore in memory: tests, and one process on a single machine."""

    def __init__(self, tokens: StoredTokens | None = None) -> None:
        self._tokens = tokens

    async def load(self) -> StoredTokens | None:
        return self._tokens

    async def save(self, tokens: StoredTokens) -> None:
        self._tokens = tokens

    async def compare_and_swap(self, expected: StoredTokens, new: StoredTokens) -> bool:
        current = self._tokens
        if current is None or (current.pair.refresh_token, current.lease_id) != (
            expected.pair.refresh_token,
            expected.lease_id,
        ):
            return False
        self._tokens = new
        return True


class TokenProblemKind(StrEnum):
    """What the caller should tell organizers about."""

    MISSING = "missing"  # no pair stored yet: `zalo token set`
    REFRESH_REJECTED = "refresh_rejected"  # the refresh token is dead: an OA admin must re-consent
    REFRESH_ERROR = "refresh_error"  # network or server error while refreshing: retried later
    ACCESS_REJECTED = "access_rejected"  # even a fresh access token is refused
    EXPIRING_SOON = "expiring_soon"  # the refresh token nears the end of its 3 months


@dataclass(frozen=True)
class TokenProblem:
    kind: TokenProblemKind
    detail: str
    refresh_expires_at: datetime | None = None


OnTokenProblem = Callable[[TokenProblem], Awaitable[None]]
Refresher = Callable[[str], Awaitable[TokenGrant]]


@dataclass(frozen=True)
class TokenPolicy:
    """When to refresh and how long to wait; tests shrink the delays."""

    # Refresh at about 20 h of a 25 h access token (O5 §4.2).
    refresh_ahead: timedelta = timedelta(hours=5)
    warn_before: timedelta = timedelta(days=14)
    # Longer than one refresh request may take, so a live lease means a live refresher.
    lease: timedelta = timedelta(seconds=60)
    # After a failed refresh, use the current token (or fail fast) this long before retrying.
    quiet_after_error: timedelta = timedelta(minutes=1)
    poll_seconds: float = 0.2


class TokenKeeper:
    """Hands out a valid access token, refreshing it through the store's lease."""

    def __init__(
        self,
        store: TokenStore,
        refresher: Refresher,
        now: Callable[[], datetime],
        on_problem: OnTokenProblem,
        policy: TokenPolicy | None = None,
    ) -> None:
        self.store = store
        self.policy = policy or TokenPolicy()
        self._refresher = refresher
        self._now = now
        self._on_problem = on_problem
        self._reported: set[tuple[TokenProblemKind, str]] = set()
        self._rejected: set[str] = set()  # refresh tokens the server refused
        self._quiet_until: datetime | None = None

    async def call(self, operation: Callable[[str], Awaitable[T]]) -> T:
        """Run `operation(access_token)`; on TokenRejected refresh once and retry once."""
        token = await self.access_token()
        try:
            return await operation(token)
        except TokenRejected:
            logger.info("zalo oa: access token rejected; refreshing once")
        token = await self._token(rejected=token)
        try:
            return await operation(token)
        except TokenRejected as error:
            problem = TokenProblem(TokenProblemKind.ACCESS_REJECTED, str(error))
            await self._report(problem, once_for="")  # each later send would say it again
            raise AuthorizationLost(f"a fresh access token was rejected: {error}") from error

    async def access_token(self) -> str:
        """A token valid now, refreshed first when it is close to its end."""
        return await self._token(rejected=None)

    async def _token(self, rejected: str | None) -> str:
        loop = asyncio.get_running_loop()
        give_up_at = loop.time() + self.policy.lease.total_seconds()
        while True:
            stored = await self.store.load()
            if stored is None:
                problem = TokenProblem(TokenProblemKind.MISSING, "no OA token stored")
                await self._report(problem, once_for="")
                raise AuthorizationLost("no OA token stored")
            now = self._now()
            pair = stored.pair
            await self._warn_if_expiring(pair, now)
            usable = pair.access_token != rejected and now < pair.access_expires_at
            if usable and now < pair.access_expires_at - self.policy.refresh_ahead:
                return pair.access_token
            if not stored.leased(now):
                blocked = self._why_not_refresh(pair, now)
                if blocked is None:
                    claim = replace(
                        stored, lease_id=secrets.token_hex(8), lease_until=now + self.policy.lease
                    )
                    if await self.store.compare_and_swap(stored, claim):
                        return await self._refresh(claim, pair.access_token if usable else None)
                    continue  # someone else changed the record: look again
                if usable:
                    return pair.access_token
                raise blocked
            if usable:
                return pair.access_token  # another process is refreshing: this one still works
            if loop.time() >= give_up_at:
                raise TemporaryFailure("another process is still refreshing the OA token")
            await asyncio.sleep(self.policy.poll_seconds)

    def _why_not_refresh(self, pair: TokenPair, now: datetime) -> DeliveryError | None:
        if pair.refresh_token in self._rejected:
            return AuthorizationLost("the stored refresh token was refused; store a new pair")
        if self._quiet_until is not None and now < self._quiet_until:
            return TemporaryFailure("the last OA token refresh failed; retrying later")
        return None

    async def _refresh(self, claim: StoredTokens, still_valid: str | None) -> str:
        """Spend the refresh token under our lease; store the new pair before using it."""
        spent = claim.pair.refresh_token
        try:
            grant = await self._refresher(spent)
        except RefreshRejected as error:
            self._rejected.add(spent)
            await self._release(claim)
            await self._report(
                TokenProblem(
                    TokenProblemKind.REFRESH_REJECTED, str(error), claim.pair.refresh_expires_at
                ),
                once_for=spent,
            )
            if still_valid is not None:
                return still_valid
            raise AuthorizationLost(f"OA token refresh refused: {error}") from error
        except DeliveryError as error:  # TemporaryFailure: network, timeout, 5xx
            self._quiet_until = self._now() + self.policy.quiet_after_error
            await self._release(claim)
            await self._report(TokenProblem(TokenProblemKind.REFRESH_ERROR, str(error)))
            if still_valid is not None:
                return still_valid
            raise TemporaryFailure(f"OA token refresh failed: {error}") from error
        self._quiet_until = None
        fresh = StoredTokens(TokenPair.from_grant(grant, self._now()))
        if not await self.store.compare_and_swap(claim, fresh):
            # Only an organizer's `save` (a new pair) can replace a live lease: keep theirs.
            logger.warning("zalo oa: tokens replaced while refreshing; keeping the stored pair")
        else:
            logger.info("zalo oa: access token refreshed")
        return grant.access_token

    async def _release(self, claim: StoredTokens) -> None:
        unleased = replace(claim, lease_id=None, lease_until=None)
        await self.store.compare_and_swap(claim, unleased)

    async def _warn_if_expiring(self, pair: TokenPair, now: datetime) -> None:
        if pair.refresh_expires_at - now > self.policy.warn_before:
            return
        detail = f"the OA refresh token expires at {pair.refresh_expires_at.isoformat()}"
        await self._report(
            TokenProblem(TokenProblemKind.EXPIRING_SOON, detail, pair.refresh_expires_at),
            once_for=pair.refresh_token,
        )

    async def _report(self, problem: TokenProblem, once_for: str | None = None) -> None:
        """Tell the caller (log + alert); a repeated problem is told once per token."""
        if once_for is not None:
            key = (problem.kind, once_for)
            if key in self._reported:
                return
            self._reported.add(key)
        logger.error("zalo oa: token problem %s: %s", problem.kind, problem.detail)
        try:
            await self._on_problem(problem)
        except Exception:
            logger.exception("zalo oa: the token problem callback failed")
