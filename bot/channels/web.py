"""Web chat channel: the chat page and its JSON API (a public contract, see README)."""

from __future__ import annotations

import json
import logging
import re
import secrets
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.messages import Incoming, Reply
from bot.ratelimit import RateLimiter
from handlers import texts
from storage import web_mailbox

logger = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
SESSION_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
MAX_FIELD_CHARS = 5000
MAX_MESSAGE_ID_CHARS = 64


class BadRequest(Exception):
    """A request the API refuses with 400 and a JSON error."""


class WebChatChannel:
    """Serves `/`, `/api/chat` and `/api/updates`; `send` leaves replies in the mailbox."""

    name = "web"

    def __init__(self, app: AppContext, dispatcher: Dispatcher) -> None:
        self.app = app
        self.dispatcher = dispatcher
        per_second = app.settings.web_rate_per_minute / 60
        self._limiter = RateLimiter(per_second, app.settings.web_rate_burst)

    async def start(self) -> None:
        """Nothing to start: the web server is shared and started by the runtime."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def send(self, chat_id: str, reply: Reply) -> None:
        async with self.app.transaction() as db:
            await web_mailbox.put(db, chat_id, reply.to_dict(), self.app.clock.now())

    def mount(self, web_app: web.Application) -> None:
        """Add the page, its assets and the API to the shared aiohttp application."""
        web_app.router.add_get("/", self._page)
        web_app.router.add_static("/static/", STATIC_DIR, show_index=False)
        web_app.router.add_post("/api/chat", self._chat)
        web_app.router.add_get("/api/updates", self._updates)

    async def _page(self, request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / "index.html")

    async def _chat(self, request: web.Request) -> web.Response:
        try:
            body = await _read_json(request)
            session = _session_from(body.get("session"), allow_new=True)
            incoming = self._incoming(session, body)
        except BadRequest as error:
            return _error(400, "bad_request", str(error))
        wait = self._limiter.try_acquire(session)
        if wait:
            return _rate_limited(wait)
        replies = await self.dispatcher.handle(incoming)
        return web.json_response(
            {"session": session, "replies": [reply.to_dict() for reply in replies]}
        )

    async def _updates(self, request: web.Request) -> web.Response:
        try:
            session = _session_from(request.query.get("session"), allow_new=False)
        except BadRequest as error:
            return _error(400, "bad_request", str(error))
        async with self.app.transaction() as db:
            replies = await web_mailbox.take_all(db, session)
        return web.json_response({"session": session, "replies": replies})

    def _incoming(self, session: str, body: dict[str, Any]) -> Incoming:
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
        return Incoming(
            channel=self.name,
            chat_id=session,
            user_id=session,
            text=text,
            payload=payload,
            message_id=f"{session}:{message_id}" if message_id else None,
        )


async def _read_json(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise BadRequest("send JSON with Content-Type: application/json")
    raw = await request.read()  # the app's client_max_size answers 413 when too big
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadRequest("the body is not valid JSON") from error
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


def _session_from(value: object, *, allow_new: bool) -> str:
    if value in (None, "") and allow_new:
        return secrets.token_urlsafe(18)
    if not isinstance(value, str) or not SESSION_PATTERN.match(value):
        raise BadRequest("'session' must be empty or an id returned by this API")
    return value


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def _rate_limited(wait: float) -> web.Response:
    seconds = max(1, round(wait))
    response = web.json_response(
        {"error": "rate_limited", "message": texts.slow_down(), "retry_after": seconds},
        status=429,
    )
    response.headers["Retry-After"] = str(seconds)
    return response
