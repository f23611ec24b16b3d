"""Zalo Bot API client: getUpdates long polling, sending, webhook set-up, errors mapped.

The bot token is part of every URL (`<base>/bot<TOKEN>/<method>`, S5, S6), so no URL is
logged or put in an exception message: errors name the method, logs mask chat ids.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot import metrics
from bot.channels.base import (
    DeliveryError,
    PermanentFailure,
    RecipientUnreachable,
    RetryAfter,
    TemporaryFailure,
)
from bot.channels.zalo.errors import QuotaExhausted
from bot.privacy import mask_id

logger = logging.getLogger(__name__)

# Both hosts appear in current code (S3-S6, S9 / S1, S2, S8): keep it configurable.
DEFAULT_API_BASE = "https://bot-api.zaloplatforms.com"
IDLE_STATUS = 408  # an empty long poll (S2 measured it, S5 isPollingTimeout)
UNAUTHORIZED = 401  # an unknown token [?]: what a fake must answer, not measured
NOT_FOUND = 404  # getWebhookInfo on a bot without a webhook (S2, measured)
# No rate or retry time is published [?]: a 429 without one waits this long.
DEFAULT_RETRY_AFTER = 5.0


@dataclass(frozen=True)
class BotMessage:
    """What sendMessage answered."""

    message_id: str | None
    date_ms: int | None


@dataclass(frozen=True)
class WebhookInfo:
    url: str
    updated_at_ms: int | None


class TokenRefused(PermanentFailure):
    """HTTP 401: the bot token is wrong or was revoked; nothing works until it is changed."""


class WebhookActive(PermanentFailure):
    """getUpdates is refused while a webhook is set (S2, S5, S6): delete it first."""


def error_for(method: str, code: int, description: str, retry_after: float | None) -> DeliveryError:
    """The delivery category of a Bot API error; the code list is not published (S3, S5)."""
    detail = f"zalo bot {method}: {code} {description}".strip()
    lowered = description.lower()
    if code == 429:
        metrics.RATE_LIMITED.labels("zalo_bot").inc()
        return RetryAfter(retry_after or DEFAULT_RETRY_AFTER, detail)
    if code == UNAUTHORIZED:
        return TokenRefused(detail)
    if code >= 500 or code == IDLE_STATUS:
        return TemporaryFailure(detail)
    # The quota error is undocumented [?]: recognised by its wording.
    if "quota" in lowered:
        return QuotaExhausted("Zalo Bot plan", detail)
    if method == "getUpdates" and "webhook" in lowered:
        return WebhookActive(detail)
    if code == 403 and "block" in lowered:  # only an explicit block stops messages
        return RecipientUnreachable(detail)
    return PermanentFailure(detail)


class ZaloBotApi:
    """One attempt per call; failures raised as DeliveryError subclasses."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        *,
        base_url: str = DEFAULT_API_BASE,
        timeout_seconds: float = 10.0,
    ) -> None:
        self._session = session
        self._token = token
        self._base = base_url.rstrip("/")
        self._timeout_seconds = timeout_seconds

    async def get_me(self) -> dict[str, Any]:
        result = await self._result("getMe", {})
        return result if isinstance(result, dict) else {}

    async def get_updates(self, timeout_seconds: int = 30) -> list[dict[str, Any]]:
        """Wait up to `timeout_seconds` for updates: [] when idle (HTTP 408).

        One update per call (S5) and no offset: a consumed update may come again (S2), so
        the caller dedupes by message id. The docs type `timeout` as a string (S5, S6).
        """
        params = {"timeout": str(timeout_seconds)}
        status, reply = await self._call("getUpdates", params, timeout_seconds + 10)
        if status == IDLE_STATUS or reply.get("error_code") == IDLE_STATUS:
            return []
        result = self._checked("getUpdates", status, reply)
        if isinstance(result, dict):
            return [result]
        if isinstance(result, list):  # never seen, but a PTB-shaped server would do it
            return [update for update in result if isinstance(update, dict)]
        return []

    async def send_message(self, chat_id: str, text: str) -> BotMessage:
        """Send 1-2000 characters of plain text (render_bot splits longer ones)."""
        result = await self._result("sendMessage", {"chat_id": chat_id, "text": text})
        result = result if isinstance(result, dict) else {}
        message_id, date = result.get("message_id"), result.get("date")
        logger.debug("zalo bot: sent to %s", mask_id(chat_id))
        return BotMessage(
            str(message_id) if message_id is not None else None,
            date if isinstance(date, int) and not isinstance(date, bool) else None,
        )

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        """Only "typing" works today (S6); the reply is a bare {"ok": true}."""
        await self._result("sendChatAction", {"chat_id": chat_id, "action": action})

    async def set_webhook(self, url: str, secret_token: str) -> WebhookInfo:
        """Register an HTTPS URL; Zalo sends `secret_token` back in a header (8-256 chars)."""
        result = await self._result("setWebhook", {"url": url, "secret_token": secret_token})
        return _webhook_info(result)

    async def delete_webhook(self) -> None:
        """Succeeds even when none is set (S6, S3)."""
        await self._result("deleteWebhook", {})

    async def get_webhook_info(self) -> WebhookInfo | None:
        """The registered webhook; None when there is none (a 404, S2)."""
        status, reply = await self._call("getWebhookInfo", {})
        if status == NOT_FOUND:
            return None
        info = _webhook_info(self._checked("getWebhookInfo", status, reply))
        return info if info.url else None

    async def _result(self, method: str, params: Mapping[str, Any]) -> Any:
        status, reply = await self._call(method, params)
        return self._checked(method, status, reply)

    def _checked(self, method: str, status: int, reply: Mapping[str, Any]) -> Any:
        if status == 200 and reply.get("ok") is True:
            return reply.get("result")
        code = reply.get("error_code")
        if not isinstance(code, int) or isinstance(code, bool) or status != 200:
            code = status  # observed codes equal the HTTP status (S2, S3, S5)
        description = self._redacted(str(reply.get("description", "")))
        parameters = reply.get("parameters")
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        seconds = _positive(retry_after)
        error = error_for(method, code, description, seconds)
        logger.info("zalo bot: %s failed: %s", method, error)
        raise error

    async def _call(
        self, method: str, params: Mapping[str, Any], timeout_seconds: float | None = None
    ) -> tuple[int, dict[str, Any]]:
        """POST JSON (S5, S6); the HTTP status and the reply object ({} if unreadable)."""
        url = f"{self._base}/bot{self._token}/{method}"
        timeout = aiohttp.ClientTimeout(total=timeout_seconds or self._timeout_seconds)
        try:
            async with self._session.post(url, json=dict(params), timeout=timeout) as response:
                status, raw = response.status, await response.read()
        except (aiohttp.ClientError, TimeoutError) as error:
            # The exception text may hold the URL, and so the token: name its type only.
            raise TemporaryFailure(f"zalo bot {method}: {type(error).__name__}") from None
        try:
            reply = json.loads(raw)
        except ValueError:  # UnicodeDecodeError included
            reply = None
        if isinstance(reply, dict):
            return status, reply
        if status == 200:
            raise TemporaryFailure(f"zalo bot {method}: unreadable reply")
        return status, {}

    def _redacted(self, text: str) -> str:
        return text.replace(self._token, "<token>") if self._token else text


def _positive(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return float(value)


def _webhook_info(result: object) -> WebhookInfo:
    data = result if isinstance(result, dict) else {}
    updated = data.get("updated_at")
    return WebhookInfo(
        str(data.get("url") or ""),
        updated if isinstance(updated, int) and not isinstance(updated, bool) else None,
    )
