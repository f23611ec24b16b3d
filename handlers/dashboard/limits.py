"""Failed log-ins counted per account and per client address in a sliding window."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta

from bot.clock import Clock

WINDOW = timedelta(minutes=15)
MAX_KEYS = 50_000


class LoginLimiter:
    """Refuses a log-in attempt once too many recent attempts from that account or client
    failed; a success clears the account's count (not the client's)."""

    def __init__(self, clock: Clock, per_account: int, per_client: int) -> None:
        self._clock = clock
        self._limits = {"account": per_account, "client": per_client}
        self._failures: dict[tuple[str, str], deque[datetime]] = {}

    def _recent(self, key: tuple[str, str]) -> deque[datetime]:
        found = self._failures.get(key)
        if found is None:
            return deque()
        cutoff = self._clock.now() - WINDOW
        while found and found[0] <= cutoff:
            found.popleft()
        if not found:
            del self._failures[key]
        return found

    def allowed(self, username: str, client: str) -> bool:
        """Whether an attempt may be checked at all (checked before the password)."""
        keys = {"account": username.lower(), "client": client}
        return all(len(self._recent((kind, keys[kind]))) < self._limits[kind] for kind in keys)

    def failed(self, username: str, client: str) -> None:
        if len(self._failures) >= MAX_KEYS:
            self._failures.clear()  # a flood of made-up names: forget rather than grow
        now = self._clock.now()
        for key in (("account", username.lower()), ("client", client)):
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, username: str) -> None:
        self._failures.pop(("account", username.lower()), None)
