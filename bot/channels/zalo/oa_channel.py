"""Zalo Official Account channel (OA API v3): a signed webhook in, CS messages out.

The webhook checks `X-ZEvent-Signature` (constant time, webhook_auth.py) and the event's
age before it trusts anything in the body, stores the event, answers 200 and handles it in
the background (channel.py). Messages to a citizen are CS messages, allowed only within 7
days of their last interaction (O6, O4, O5 §5.2): the last turn the dispatcher recorded
for the conversation is that interaction, because every event that counts for Zalo
(a message, a tap on a query button, a follow) is a turn here and nothing else is.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web

from bot.alerts import alert_organizers
from bot.channels.base import DeliveryError, RecipientUnreachable
from bot.channels.zalo.channel import ZaloChannel, ZaloTuning
from bot.channels.zalo.errors import QuotaExhausted
from bot.channels.zalo.inbound import InboundEvent, MalformedEvent, parse_oa_event
from bot.channels.zalo.oa_api import OaApi, OaClient
from bot.channels.zalo.render import render_oa
from bot.channels.zalo.stores import DatabaseTokenStore
from bot.channels.zalo.tokens import TokenGrant, TokenKeeper, TokenProblem, TokenProblemKind
from bot.channels.zalo.webhook_auth import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignedBy,
    is_fresh,
    timestamp_ms,
    verify_oa_signature,
)
from bot.channels.zalo.window import require_open
from bot.clock import to_local
from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.messages import Reply
from bot.webserver import BodyError, json_status, read_body
from storage.conversations import contact_of
from storage.outbox import Priority

logger = logging.getLogger(__name__)

CHANNEL = "zalo_oa"
SET_TOKEN = "python -m bot zalo token set"


class ZaloOaChannel(ZaloChannel[dict[str, Any]]):
    """Serves the citizens who follow the OA; one per deployment."""

    name = CHANNEL

    def __init__(
        self, app: AppContext, dispatcher: Dispatcher, tuning: ZaloTuning | None = None
    ) -> None:
        super().__init__(app, dispatcher, tuning, app.settings.zalo_oa_rate_per_second)
        settings = app.settings
        secret_key, app_secret = settings.zalo_oa_secret_key, settings.zalo_oa_app_secret
        if not settings.zalo_oa_configured() or not settings.zalo_oa_app_id:
            raise ValueError("the Zalo OA settings are not set")
        assert secret_key is not None and app_secret is not None
        self.app_id = settings.zalo_oa_app_id
        self.webhook_path = settings.zalo_oa_webhook_path
        self._secret_key = secret_key.get_secret_value()
        self._app_secret = app_secret.get_secret_value()
        self.tokens = TokenKeeper(
            DatabaseTokenStore(app, self.app_id),
            self._refresh,
            app.clock.now,
            self._token_problem,
            self.tuning.token_policy,
        )
        self._client: OaClient | None = None
        self._session: aiohttp.ClientSession | None = None
        self._token_watch: asyncio.Task[None] | None = None
        self._told_oa_id_signs = False

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the HTTP client, resume the inbox, keep the token fresh; the webhook is
        registered in the Zalo developer console, not through the API."""
        settings = self.app.settings
        self._session = aiohttp.ClientSession()
        api = OaApi(
            self._session,
            app_id=self.app_id,
            app_secret=self._app_secret,
            now=self.app.clock.now,
            api_base=settings.zalo_oa_api_base,
            oauth_base=settings.zalo_oauth_base,
            timeout_seconds=self.tuning.request_timeout_seconds,
        )
        self._client = OaClient(api, self.tokens)
        await self.resume()
        self._accepting = True
        self._token_watch = asyncio.create_task(self._watch_tokens(), name="zalo-oa-tokens")
        logger.info("zalo oa: webhook at %s", self.webhook_path)

    async def stop(self) -> None:
        if self._token_watch is not None:
            self._token_watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._token_watch
        await self.finish()
        if self._session is not None:
            await self._session.close()

    def mount(self, web_app: web.Application) -> None:
        web_app.router.add_post(self.webhook_path, self._webhook)

    @property
    def client(self) -> OaClient:
        if self._client is None:
            raise RuntimeError("the Zalo OA channel is not started")
        return self._client

    # --- webhook -----------------------------------------------------------------------------

    async def _webhook(self, request: web.Request) -> web.Response:
        """Signature first (it covers the raw body), then age, then shape; store, then 200."""
        signature = request.headers.get(SIGNATURE_HEADER)
        if not signature:
            return json_status(401, "missing signature")
        try:
            raw = await read_body(request, self.tuning.max_webhook_body_bytes)
        except BodyError as error:
            return json_status(error.status, error.message)
        header_time = request.headers.get(TIMESTAMP_HEADER)
        signed_by = verify_oa_signature(
            raw,
            signature,
            self._secret_key,
            app_id=self.app_id,
            oa_id=self.app.settings.zalo_oa_id or None,
            header_timestamp=header_time,
        )
        if signed_by is None:
            logger.warning("zalo oa: webhook call with a wrong signature")
            return json_status(403, "wrong signature")
        if signed_by is SignedBy.OA_ID and not self._told_oa_id_signs:
            self._told_oa_id_signs = True  # the [?] variant of O5: worth knowing once
            logger.info("zalo oa: events are signed with the OA id, not the app id")
        event_time = timestamp_ms(raw, header_time)
        if not is_fresh(event_time, self.app.clock.now(), self.tuning.stale_after):
            logger.warning("zalo oa: stale or undated event refused")
            return json_status(403, "stale event")
        try:
            payload = json.loads(raw)
            if not isinstance(payload, dict):
                raise MalformedEvent("not a JSON object")
            event = parse_oa_event(payload)
            self.check(event)
        except (ValueError, RecursionError):  # MalformedEvent is a ValueError
            return json_status(400, "malformed event")
        if self.busy:
            return json_status(503, "busy")
        await self.take(event, payload)
        return web.json_response({"ok": True})

    def parse(self, payload: Mapping[str, Any]) -> InboundEvent:
        return parse_oa_event(payload)

    # --- sending -----------------------------------------------------------------------------

    def render(self, reply: Reply, first_number: int) -> list[dict[str, Any]]:
        return render_oa(reply, first_number)

    async def admit(self, chat_id: str, messages: int, priority: int) -> object:
        """Messages nobody is waiting for go only to followers inside the 7-day window;
        a reply is left to the OA to judge (it may know of interactions we do not)."""
        if priority < Priority.NOTICE:
            return None
        async with self.app.open_db() as db:
            contact = await contact_of(db, self.name, chat_id)
        if contact is not None and contact.blocked_at is not None:
            raise RecipientUnreachable("the citizen left the OA (unfollowed, or unreachable)")
        require_open(contact.last_turn_at if contact else None, self.app.clock.now())
        return None

    async def deliver(self, chat_id: str, part: dict[str, Any]) -> str | None:
        try:
            sent = await self.client.send(chat_id, part)
        except QuotaExhausted as error:
            if error.scope == "OA":  # -211: every send fails until Zalo renews it
                await self._alert(
                    f"Zalo OA: the OA's message quota is used up ({error}); messages are "
                    "skipped until Zalo renews it.",
                    "zalo-oa-quota",
                )
            raise
        return sent.message_id

    # --- tokens ------------------------------------------------------------------------------

    async def _refresh(self, refresh_token: str) -> TokenGrant:
        return await self.client.api.refresh(refresh_token)

    async def _watch_tokens(self) -> None:
        """Check the token now and then: refreshed ahead of expiry even when idle."""
        while True:
            try:
                await self.tokens.access_token()
            except DeliveryError:
                pass  # reported (logged and alerted) by the keeper
            except Exception:
                logger.exception("zalo oa: token check failed")
            await asyncio.sleep(self.tuning.token_check_seconds)

    async def _token_problem(self, problem: TokenProblem) -> None:
        """The keeper logged it at ERROR; organizers get a message they can act on."""
        text, key = _token_alert(problem, self.app.clock.now())
        await self._alert(text, key)

    async def _alert(self, text: str, key: str) -> None:
        day = f"{self.app.clock.now():%Y-%m-%d}"
        await alert_organizers(self.app, text, key=f"{key}:{day}")


def _token_alert(problem: TokenProblem, now: datetime) -> tuple[str, str]:
    """What organizers are told about a token problem, and its alert key."""
    detail = problem.detail[:200]
    match problem.kind:
        case TokenProblemKind.MISSING:
            return (
                "Zalo OA: no access token is stored, so nothing can be sent on Zalo OA. "
                "An OA admin gets a token pair for the app in the Zalo developer console; "
                f"store it on the server with `{SET_TOKEN}`.",
                "zalo-oa-token-missing",
            )
        case TokenProblemKind.REFRESH_REJECTED:
            return (
                f"Zalo OA: Zalo refused the refresh token ({detail}). Sending on Zalo OA stops "
                "when the current access token ends. An OA admin must authorize the app again "
                f"and store the new pair with `{SET_TOKEN}`.",
                "zalo-oa-refresh-rejected",
            )
        case TokenProblemKind.ACCESS_REJECTED:
            return (
                f"Zalo OA: Zalo refuses even a fresh access token ({detail}). Check "
                f"ZALO_OA_APP_ID and the app's permissions on the OA, then `{SET_TOKEN}`.",
                "zalo-oa-access-rejected",
            )
        case TokenProblemKind.EXPIRING_SOON:
            until = problem.refresh_expires_at or now
            return (
                f"Zalo OA: the refresh token expires at {to_local(until):%Y-%m-%d %H:%M} "
                "(Vietnam time). Each refresh "
                f"should renew it; if this warning comes back, store a new pair with "
                f"`{SET_TOKEN}`.",
                "zalo-oa-token-expiring",
            )
    return (
        f"Zalo OA: refreshing the access token failed ({detail}); it is tried again in a "
        "minute. If this goes on, check that the server reaches the Zalo OAuth server.",
        f"zalo-oa-refresh-error:{now:%H}",
    )
