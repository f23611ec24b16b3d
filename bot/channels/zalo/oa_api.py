"""Zalo OA Open API v3 client: CS messages and the OAuth v4 refresh, errors mapped.

The OA answers errors with HTTP 200 and a non-zero `error` (O1, O5 §3.4, O6), so every
reply is read as JSON and its code mapped to the engine's delivery categories (O6, O5 §14.2).
Tokens travel in a header and a form body, never in a URL; neither is ever logged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from bot import metrics
from bot.channels.base import (
    DeliveryError,
    PermanentFailure,
    RecipientUnreachable,
    RetryAfter,
    TemporaryFailure,
)
from bot.channels.zalo.errors import OutsideWindow, QuotaExhausted, RefreshRejected, TokenRejected
from bot.channels.zalo.tokens import TokenGrant, TokenKeeper
from bot.privacy import mask_id

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://openapi.zalo.me"
DEFAULT_OAUTH_BASE = "https://oauth.zaloapp.com"
CS_MESSAGE_PATH = "/v3.0/oa/message/cs"  # O1, O6, O8; the v2 message path answers -240
ACCESS_TOKEN_PATH = "/v4/oa/access_token"  # O1, O3, O4, O5 §4.1
# The limit is 4,000 requests per minute per app (O6, O5 §15.1); -32 says no retry time.
RATE_LIMIT_PAUSE = 60.0
# expires_in is "90000", 25 h (O6, O4); used only if a reply ever omits it.
DEFAULT_ACCESS_LIFETIME = timedelta(seconds=90_000)
VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NIGHT_ENDS = time(6, 0)  # -234: nothing promotional from 22:00 to 06:00 (O5 §5.5)


@dataclass(frozen=True)
class SentMessage:
    """What the OA answered for one CS message."""

    message_id: str | None
    # data.quota.remain: present in older replies, dropped after 2026-03-01 (O6).
    quota_remaining: int | None = None


def error_for(code: int, message: str, now: datetime) -> DeliveryError:
    """The delivery category of an OA error code (table phu-luc/ma-loi via O6, O5 §14.2)."""
    detail = f"zalo oa error {code}: {message}"
    match code:
        case -216 | -220:
            return TokenRejected(detail)
        case -32:
            metrics.RATE_LIMITED.labels("zalo_oa").inc()
            return RetryAfter(RATE_LIMIT_PAUSE, detail)
        case -213 | -227:  # not a follower; banned or inactive for 45 days
            return RecipientUnreachable(detail)
        case -230 | -232 | -305:  # -305 is the obsolete 48 h rule [?]
            return OutsideWindow(detail)
        case -211 | -311:  # -311 is the obsolete reply quota [?]
            return QuotaExhausted("OA", detail)
        case -218:
            return QuotaExhausted("recipient today", detail)
        case -234:
            return RetryAfter(seconds_until_morning(now), detail)
        case _:  # -201 invalid field, -240 v2 endpoint, and anything undocumented
            return PermanentFailure(detail)


def seconds_until_morning(now: datetime) -> float:
    """Until 06:00 in Vietnam if it is night there; a short pause if our clock disagrees."""
    local = now.astimezone(VN_TZ)
    if NIGHT_ENDS <= local.time() < time(22, 0):
        return 300.0
    morning = datetime.combine(local.date(), NIGHT_ENDS, VN_TZ)
    if morning <= local:
        morning += timedelta(days=1)
    return (morning - local).total_seconds()


class OaApi:
    """The HTTP calls, one attempt each; errors raised as DeliveryError subclasses."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        app_id: str,
        app_secret: str,
        now: Callable[[], datetime],
        api_base: str = DEFAULT_API_BASE,
        oauth_base: str = DEFAULT_OAUTH_BASE,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._session = session
        self._app_id = app_id
        self._app_secret = app_secret
        self._now = now
        self._api_base = api_base.rstrip("/")
        self._oauth_base = oauth_base.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def send_message(
        self, access_token: str, user_id: str, message: Mapping[str, Any]
    ) -> SentMessage:
        """POST one CS message (`message` as render_oa builds it) to `user_id`."""
        body = {"recipient": {"user_id": user_id}, "message": dict(message)}
        reply = await self._post(
            self._api_base + CS_MESSAGE_PATH, headers={"access_token": access_token}, json=body
        )
        code = _error_code(reply)
        if code is None:
            raise PermanentFailure("zalo oa: reply without an error field")
        if code != 0:
            error = error_for(code, str(reply.get("message", "")), self._now())
            logger.info("zalo oa: send to %s refused: %s", mask_id(user_id), error)
            raise error
        data = reply.get("data")
        data = data if isinstance(data, dict) else {}
        message_id = data.get("message_id")
        return SentMessage(
            str(message_id) if message_id is not None else None, _quota_remaining(data)
        )

    async def refresh(self, refresh_token: str) -> TokenGrant:
        """Spend the single-use refresh token for a new pair (O1, O3, O5 §4.1).

        Raises RefreshRejected when the server refuses it, TemporaryFailure when the
        answer did not come (the token may or may not be spent then).
        """
        form = {
            "refresh_token": refresh_token,
            "app_id": self._app_id,
            "grant_type": "refresh_token",
        }
        headers = {"secret_key": self._app_secret}
        reply = await self._post(self._oauth_base + ACCESS_TOKEN_PATH, headers=headers, data=form)
        access, refresh = reply.get("access_token"), reply.get("refresh_token")
        if isinstance(access, str) and access and isinstance(refresh, str) and refresh:
            return TokenGrant(access, refresh, _lifetime(reply.get("expires_in")))
        code = _error_code(reply)
        if code or reply.get("error_description") or reply.get("error_name"):
            # The refresh error codes are undocumented (O6): any refusal needs re-consent.
            name = reply.get("error_name") or ""
            raise RefreshRejected(f"error {code} {name}: {reply.get('error_description', '')}")
        raise TemporaryFailure("zalo oauth: reply without tokens or an error")

    async def _post(self, url: str, **kwargs: Any) -> dict[str, Any]:
        """The JSON object of the reply; transport problems as Temporary/RetryAfter."""
        try:
            async with self._session.post(url, timeout=self._timeout, **kwargs) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After", "")
                raw = await response.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise TemporaryFailure(f"zalo oa: {type(error).__name__}") from None
        if status == 429:
            metrics.RATE_LIMITED.labels("zalo_oa").inc()
            seconds = _integer(retry_after)
            pause = seconds if seconds is not None and seconds > 0 else RATE_LIMIT_PAUSE
            raise RetryAfter(pause, "zalo oa: HTTP 429")
        try:
            reply = json.loads(raw)
        except ValueError:  # UnicodeDecodeError included
            reply = None
        if isinstance(reply, dict) and status < 500:
            return reply
        if 400 <= status < 500:
            raise PermanentFailure(f"zalo oa: HTTP {status} without a JSON reply")
        raise TemporaryFailure(f"zalo oa: HTTP {status}, unreadable reply")


class OaClient:
    """CS messages with a token from the keeper: on -216/-220 refresh once, retry once."""

    def __init__(self, api: OaApi, tokens: TokenKeeper) -> None:
        self.api = api
        self.tokens = tokens

    async def send(self, user_id: str, message: Mapping[str, Any]) -> SentMessage:
        """Deliver one rendered message; raises DeliveryError subclasses (see error_for)."""
        return await self.tokens.call(lambda token: self.api.send_message(token, user_id, message))


def _integer(value: object) -> int | None:
    """An int, or a string of ASCII digits with an optional minus sign; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        digits = value.strip().removeprefix("-")
        if digits.isascii() and digits.isdigit() and len(digits) <= 18:
            return int(value)
    return None


def _error_code(reply: Mapping[str, Any]) -> int | None:
    """`error` as an int; accepted as a string too."""
    return _integer(reply.get("error"))


def _lifetime(value: object) -> timedelta:
    """expires_in is a string of seconds (O6); an int is accepted too."""
    seconds = _integer(value)
    return timedelta(seconds=seconds) if seconds and seconds > 0 else DEFAULT_ACCESS_LIFETIME


def _quota_remaining(data: Mapping[str, Any]) -> int | None:
    quota = data.get("quota")
    return _integer(quota.get("remain")) if isinstance(quota, dict) else None
