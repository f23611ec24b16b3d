"""Web chat channel: the chat page and its JSON API (a public contract, see README).

A conversation id (`session` in the API) is issued by the server only: an empty or unknown
id gets a fresh one in the answer, so a client can neither choose an id nor guess one.
Requests are limited per conversation, per client address (behind a configured trusted
proxy, the address it forwards) and for the whole server.
"""

from __future__ import annotations

import io
import logging
import re
import secrets
from pathlib import Path
from typing import Any

import segno
from aiohttp import web

from bot.channels.base import OnWire, Sent, go_on_wire
from bot.channels.web_events import MailboxStreams, known_conversation
from bot.channels.web_page import page_headers
from bot.client_address import client_address, networks
from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.messages import Incoming, Reply
from bot.privacy import mask_id
from bot.webserver import BodyError, read_json_object
from storage import web_mailbox
from storage.conversations import conversation_exists

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
WEB_CHAT_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_FIELD_CHARS = 5000
MAX_MESSAGE_ID_CHARS = 64
MAX_QR_CHARS = 300


_BODY_ERROR_CODES = {413: "too_large", 408: "timeout"}


class BadRequest(Exception):
    """A request the API refuses with 400 and a JSON error."""


def new_web_chat_id() -> str:
    """144 random bits: unguessable, so the id itself is the conversation's key."""
    return secrets.token_urlsafe(18)


class WebChatChannel:
    """Serves `/`, `/api/chat` and `/api/updates`; `send` leaves replies in the mailbox."""

    name = "web"

    def __init__(self, app: AppContext, dispatcher: Dispatcher) -> None:
        self.app = app
        self.dispatcher = dispatcher
        settings = app.settings
        # Shared by every worker when Redis is configured (bot/shared_budget.py).
        budgets = app.budgets
        self._per_chat = budgets.bucket(
            "web:chat", settings.web_rate_per_minute / 60, settings.web_rate_burst
        )
        self._per_client = budgets.bucket(
            "web:client",
            settings.web_rate_per_client_per_minute / 60,
            settings.web_rate_client_burst,
        )
        self._new_chats = budgets.bucket(
            "web:new",
            settings.web_new_chats_per_client_per_hour / 3600,
            settings.web_new_chats_burst,
        )
        global_rate = settings.web_rate_global_per_second
        self._global = (
            budgets.bucket("web:all", global_rate, global_rate) if global_rate > 0 else None
        )
        self._trusted_proxies = networks(settings.web_trusted_proxies)
        self.streams = MailboxStreams(
            app,
            max_streams=settings.web_max_event_streams,
            heartbeat_seconds=settings.web_events_heartbeat_seconds,
            recheck_seconds=settings.web_events_recheck_seconds,
        )
        self._page_headers = page_headers(settings.embed_origin_list())

    async def start(self) -> None:
        """Nothing to start: the web server is shared and started by the runtime."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def send(
        self,
        chat_id: str,
        reply: Reply,
        *,
        thread_id: str | None = None,
        on_wire: OnWire | None = None,
        priority: int = 0,
    ) -> Sent:
        await go_on_wire(on_wire)
        async with self.app.transaction() as db:
            await web_mailbox.put(db, chat_id, reply.to_dict(), self.app.clock.now())
        self.streams.notify(chat_id)
        return Sent()

    def mount(self, web_app: web.Application) -> None:
        """Add the page, its assets and the API to the shared aiohttp application."""
        web_app.router.add_get("/", self._page)
        web_app.router.add_static("/static/", STATIC_DIR, show_index=False)
        web_app.router.add_post("/api/chat", self._chat)
        web_app.router.add_get("/api/updates", self._updates)
        web_app.router.add_get("/api/events", self._events)
        web_app.router.add_get("/api/qr.svg", self._qr)
        web_app.on_shutdown.append(self.streams.close_all)

    async def _page(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / "index.html", headers=self._page_headers)

    async def _chat(self, request: web.Request) -> web.Response:
        client = self.client_address(request)
        wait = await self._admit(client)
        if wait:
            return _rate_limited(wait, self.dispatcher.texts.slow_down)
        try:
            if request.content_type != "application/json":
                raise BadRequest("send JSON with Content-Type: application/json")
            body = await read_json_object(
                request,
                self.app.settings.web_max_body_bytes,
                self.app.settings.web_body_timeout_seconds,
            )
            given = _web_chat_id_from(body.get("session"))
            incoming_fields = _fields(body)
        except BodyError as error:
            return _error(
                error.status, _BODY_ERROR_CODES.get(error.status, "bad_request"), error.message
            )
        except BadRequest as error:
            return _error(400, "bad_request", str(error))
        web_chat_id = await self._known_or_new(given, client)
        if web_chat_id is None:
            return _rate_limited(60, self.dispatcher.texts.slow_down)
        wait = await self._per_chat.acquire(web_chat_id)
        if wait:
            return _rate_limited(wait, self.dispatcher.texts.slow_down)
        text, payload, message_id = incoming_fields
        incoming = Incoming(
            channel=self.name,
            chat_id=web_chat_id,
            user_id=web_chat_id,
            text=text,
            payload=payload,
            message_id=f"{web_chat_id}:{message_id}" if message_id else None,
        )
        replies = await self.dispatcher.handle(incoming)
        return web.json_response(
            {"session": web_chat_id, "replies": [reply.to_dict() for reply in replies]}
        )

    async def _updates(self, request: web.Request) -> web.Response:
        wait = await self._admit(self.client_address(request))
        if wait:
            return _rate_limited(wait, self.dispatcher.texts.slow_down)
        try:
            web_chat_id = _web_chat_id_from(request.query.get("session"))
        except BadRequest as error:
            return _error(400, "bad_request", str(error))
        if web_chat_id is None:
            return _error(400, "bad_request", "'session' is required")
        async with self.app.transaction() as db:
            replies = await web_mailbox.take_all(db, web_chat_id)
        return web.json_response({"session": web_chat_id, "replies": replies})

    async def _qr(self, request: web.Request) -> web.Response:
        """A reply's `qr` text (a booking code, a check-in link) as an SVG QR code."""
        wait = await self._admit(self.client_address(request))
        if wait:
            return _rate_limited(wait, self.dispatcher.texts.slow_down)
        text = request.query.get("text", "")
        if not 1 <= len(text) <= MAX_QR_CHARS:
            return _error(400, "bad_request", f"'text' must have 1 to {MAX_QR_CHARS} characters")
        buffer = io.BytesIO()
        segno.make(text, error="m").save(
            buffer, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, title="QR"
        )
        return web.Response(
            body=buffer.getvalue(),
            content_type="image/svg+xml",
            headers={"Cache-Control": "private, max-age=86400"},
        )

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """Server-Sent Events of this page's mailbox (bot/channels/web_events.py)."""
        wait = await self._admit(self.client_address(request))
        if wait:
            return _rate_limited(wait, self.dispatcher.texts.slow_down)
        try:
            web_chat_id = _web_chat_id_from(request.query.get("session"))
        except BadRequest as error:
            return _error(400, "bad_request", str(error))
        if web_chat_id is None or not await known_conversation(self.app, web_chat_id):
            return _error(400, "bad_request", "'session' must be an id returned by this API")
        return await self.streams.serve(request, web_chat_id)

    def client_address(self, request: web.Request) -> str:
        """Who is asking: the peer, or what a trusted proxy says it forwarded for."""
        return client_address(request, self._trusted_proxies)

    async def _admit(self, client: str) -> float:
        """0 when the server and this client may send one more request, else seconds to wait."""
        if self._global is not None:
            wait = await self._global.acquire("all")
            if wait:
                return wait
        return await self._per_client.acquire(client)

    async def _known_or_new(self, given: str | None, client: str) -> str | None:
        """The id if this server issued it (its conversation exists), else a fresh one;
        None when this client opens new conversations too fast."""
        if given is not None:
            async with self.app.open_db() as db:
                if await conversation_exists(db, self.name, given):
                    return given
            logger.info("web chat: unknown id %s replaced by a new one", mask_id(given))
        if await self._new_chats.acquire(client):
            return None
        return new_web_chat_id()


def _fields(body: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    text, payload = body.get("text"), body.get("payload")
    message_id = body.get("message_id")
    if (text is None) == (payload is None):
        raise BadRequest("send exactly one of 'text' or 'payload'")
    for name, value in (("text", text), ("payload", payload)):
        if value is not None and not isinstance(value, str):
            raise BadRequest(f"'{name}' must be a string")
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            raise BadRequest(f"'{name}' is longer than {MAX_FIELD_CHARS} characters")
    if message_id is not None and (
        not isinstance(message_id, str) or not 0 < len(message_id) <= MAX_MESSAGE_ID_CHARS
    ):
        raise BadRequest("'message_id' must be a short string")
    return text, payload, message_id


def _web_chat_id_from(value: object) -> str | None:
    """None for a new conversation; the id when it has the shape of one we issue."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not WEB_CHAT_ID.match(value):
        raise BadRequest("'session' must be empty or an id returned by this API")
    return value


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def _rate_limited(wait: float, slow_down: str) -> web.Response:
    seconds = max(1, round(wait))
    response = web.json_response(
        {"error": "rate_limited", "message": slow_down, "retry_after": seconds},
        status=429,
    )
    response.headers["Retry-After"] = str(seconds)
    return response
