"""Delivery outcomes specific to Zalo, on top of the engine's DeliveryError categories."""

from __future__ import annotations

from bot.channels.base import DeliveryError, NotAllowed, TemporaryFailure


class Skipped(NotAllowed):
    """Not sent on purpose, and retrying will not help: the outbox records it as skipped
    with `reason` (a window closed, a quota used up)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class OutsideWindow(Skipped):
    """The citizen has not interacted with the OA for 7 days: no CS message allowed."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("outside Zalo window", detail)


class QuotaExhausted(Skipped):
    """A send quota ran out (the OA's, the recipient's for today, or the bot's monthly plan)."""

    def __init__(self, scope: str, detail: str = "") -> None:
        super().__init__(f"Zalo quota exhausted ({scope})", detail)
        self.scope = scope


class TokenRejected(DeliveryError):
    """The OA access token is invalid or expired (-216/-220): refresh it and retry once."""


class AuthorizationLost(TemporaryFailure):
    """No usable OA token: sending resumes only once an organizer stores a new token pair."""


class RefreshRejected(Exception):
    """The OAuth server refused the refresh token (used, expired or revoked)."""
