"""A fake Telegram Bot API server on 127.0.0.1 for tests and benchmarks.

It speaks enough of https://core.telegram.org/bots/api for python-telegram-bot: getMe,
getUpdates (long polling with offset and timeout), sendMessage, sendPhoto, editMessageText,
editMessageReplyMarkup, answerCallbackQuery, setMyCommands, sendChatAction, setWebhook,
deleteWebhook, getWebhookInfo, and for groups (tests/fake_telegram_groups.py) getChat,
getChatMember and createForumTopic. It records every call, checks what Telegram checks
(HTML entities, 4096 characters, 1024 for a caption, 1-64 byte callback data) and injects
faults on demand; a group's messages per minute are limited when `group_limit` is set.
With `limits` set it enforces the flood limits the way the bot must respect them
(https://core.telegram.org/bots/faq): no more than `per_second` sendMessage calls in any
one-second window, and per chat about one a second with short bursts (a token bucket of
`chat_burst`); a call over either gets a 429 and is counted in `too_many`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import html
import itertools
import json
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fake_telegram_groups import BOT_ID, GroupChats

TOKEN = "123456:TEST-token"
BOT_USER = {"id": BOT_ID, "is_bot": True, "first_name": "Trợ lý", "username": "cds_test_bot"}
# Form fields python-telegram-bot sends JSON-encoded.
_JSON_FIELDS = {"reply_markup", "allowed_updates", "commands", "link_preview_options", "scope"}
_TAG = re.compile(
    r"</?(b|strong|i|em|u|ins|s|strike|del|span|tg-spoiler|a|code|pre|blockquote)(\s[^<>]*)?>"
)
_BAD_AMPERSAND = re.compile(r"&(?!(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)")


@dataclass
class Fault:
    """What the server answers instead of success (after `delay` seconds)."""

    status: int
    description: str
    retry_after: int | None = None
    delay: float = 0.0


def too_many_requests(retry_after: int = 1) -> Fault:
    return Fault(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def blocked_by_user() -> Fault:
    return Fault(403, "Forbidden: bot was blocked by the user")


def forbidden(reason: str = "bot can't initiate conversation with a user") -> Fault:
    return Fault(403, f"Forbidden: {reason}")


def server_error() -> Fault:
    return Fault(500, "Internal Server Error")


def slow(seconds: float) -> Fault:
    """Answer late (and with a 502): the client's read timeout fires first."""
    return Fault(502, "Bad Gateway", delay=seconds)


@dataclass
class Limits:
    """Flood limits the fake enforces on sendMessage."""

    per_second: int = 30
    chat_per_second: float = 1.0
    chat_burst: float = 3.0


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    ok: bool = True


@dataclass
class _Armed:
    fault: Fault
    times: int
    chat_id: str | None


@dataclass
class FakeTelegram(GroupChats):
    """Start with `await fake.start()`; point python-telegram-bot at `fake.base_url`."""

    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    # Called with (chat_id, params) after each delivered sendMessage (benchmarks use it).
    on_send: Callable[[str, dict[str, Any]], None] | None = None
    # Set to False to keep the server from recording calls (benchmarks: less overhead).
    record: bool = True
    # Seconds each successful sendMessage takes (a slow network; crash tests kill the bot
    # while messages are in flight). The message counts as delivered once the delay is over,
    # even if the client went away meanwhile: that is what "in doubt" means.
    send_delay: float = 0.0
    # Flood limits to enforce (None: accept everything, as before).
    limits: Limits | None = None
    too_many: int = 0
    # (messages, seconds): Telegram's limit per group (20 a minute); None = no limit.
    group_limit: tuple[int, float] | None = None

    def __post_init__(self) -> None:
        self._init_groups()
        self._pending: list[dict[str, Any]] = []
        self._confirmed: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1000)
        self._message_ids: dict[str, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._messages: dict[tuple[str, int], dict[str, Any]] = {}
        self._new_updates = asyncio.Event()
        self._changed = asyncio.Condition()
        self._faults: dict[str, list[_Armed]] = defaultdict(list)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._closing = False
        self.webhook: dict[str, Any] = {}
        self._recent_sends: collections.deque[float] = collections.deque()
        self._chat_buckets: dict[str, tuple[float, float]] = {}

    # --- server ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What TELEGRAM_API_BASE_URL should be (python-telegram-bot appends the token)."""
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> FakeTelegram:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def close(self) -> None:
        self._closing = True
        self._new_updates.set()  # end pending long polls: cleanup waits for handlers
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- what tests inject -------------------------------------------------------------

    def fail(self, method: str, fault: Fault, *, times: int = 1, chat_id: object = None) -> None:
        """The next `times` calls of `method` (for `chat_id` if given) get `fault`."""
        target = None if chat_id is None else str(chat_id)
        self._faults[method].append(_Armed(fault, times, target))

    def message(
        self,
        chat_id: int,
        text: str | None = None,
        *,
        chat_type: str = "private",
        user_id: int | None = None,
        first_name: str = "Lan",
        thread_id: int | None = None,
        reply_to: int | None = None,
        **content: Any,
    ) -> int:
        """Queue a message from a user; `content` adds e.g. sticker=..., photo=[...].

        In a group added with `add_group`: `thread_id` puts it in a forum topic, `reply_to`
        makes it a reply to the bot's message with that id.
        """
        user = {"id": user_id or chat_id, "is_bot": False, "first_name": first_name}
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        chat.update({"first_name": "Lan"} if chat_type == "private" else {"title": "Nhóm"})
        if str(chat_id) in self.groups:
            chat = self.chat_of(str(chat_id))
        message: dict[str, Any] = {
            "message_id": next(self._message_ids[str(chat_id)]),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            **self.thread_fields(str(chat_id), thread_id),
            **content,
        }
        if reply_to is not None:
            message["reply_to_message"] = self._messages[(str(chat_id), reply_to)]
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                length = len(text.split()[0])
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return self.add_update({"message": message})

    def sticker(self, chat_id: int) -> int:
        sticker = {
            "file_id": "CAAC",
            "file_unique_id": "AgAD",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self.message(chat_id, sticker=sticker)

    def photo(
        self, chat_id: int, *, file_id: str = "AgAC", caption: str | None = None, **more: Any
    ) -> int:
        """A picture (two sizes, as Telegram sends them) with an optional caption."""
        sizes = [
            {"file_id": f"{file_id}-small", "file_unique_id": "AQAD", "width": 90, "height": 90},
            {"file_id": file_id, "file_unique_id": "AQAE", "width": 800, "height": 600},
        ]
        extra: dict[str, Any] = {"caption": caption} if caption is not None else {}
        return self.message(chat_id, photo=sizes, **extra, **more)

    def callback(
        self,
        chat_id: int,
        data: str,
        *,
        message_id: int,
        query_id: str = "",
        user_id: int | None = None,
        first_name: str = "Lan",
    ) -> int:
        """A tap on a button of the bot's message `message_id` in `chat_id` (by `user_id`,
        in a group; by the chat's own user in a private chat)."""
        shown = self._messages.get((str(chat_id), message_id)) or {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Lan"},
            "from": BOT_USER,
            "text": "…",
        }
        query = {
            "id": query_id or f"q{next(self._update_ids)}",
            "from": {"id": user_id or chat_id, "is_bot": False, "first_name": first_name},
            "chat_instance": f"ci{chat_id}",
            "data": data,
            "message": shown,
        }
        return self.add_update({"callback_query": query})

    def add_update(self, update: dict[str, Any]) -> int:
        """Queue any update; returns its update_id."""
        update = {"update_id": next(self._update_ids), **update}
        self._pending.append(update)
        self._new_updates.set()
        return int(update["update_id"])

    def update_payload(self, update_id: int) -> dict[str, Any]:
        """The JSON of an update queued earlier (to post it to a webhook)."""
        for update in self._pending + self._confirmed:
            if update["update_id"] == update_id:
                return update
        raise KeyError(update_id)

    def rewind(self) -> None:
        """Forget confirmations, as if the bot had crashed before confirming: re-delivery."""
        self._pending = sorted(self._confirmed + self._pending, key=lambda u: u["update_id"])
        self._confirmed = []
        self._new_updates.set()

    # --- what tests read ---------------------------------------------------------------

    def calls_of(self, method: str, chat_id: object = None) -> list[dict[str, Any]]:
        wanted = None if chat_id is None else str(chat_id)
        return [
            c.params
            for c in self.calls
            if c.method == method and wanted in (None, str(c.params.get("chat_id")))
        ]

    def messages_to(self, chat_id: object) -> list[dict[str, Any]]:
        """Delivered sendMessage calls to `chat_id`, in order."""
        return [m for m in self.sent if str(m.get("chat_id")) == str(chat_id)]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 10.0) -> None:
        """Wait until `predicate()` holds (re-checked after every API call, or every 20 ms)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not predicate():
            if loop.time() > deadline:
                raise TimeoutError("condition not reached")
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.02)

    async def wait_messages(
        self, chat_id: object, count: int, within: float = 10.0
    ) -> list[dict[str, Any]]:
        """Wait until `count` messages were delivered to `chat_id`; return them all."""
        await self.wait_for(lambda: len(self.messages_to(chat_id)) >= count, within)
        return self.messages_to(chat_id)

    # --- the API -----------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        fault = self._take_fault(method, params)
        limited = None if fault is not None else self.over_group_limit(method, params)
        if self.record:
            self.calls.append(Call(method, params, ok=fault is None))
        try:
            if fault is not None:
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                extra = {"retry_after": fault.retry_after} if fault.retry_after else None
                return _error(fault.status, fault.description, extra)
            if limited is not None:
                return limited
            if method == "getUpdates":
                return await self._get_updates(params)
            if method == "sendMessage" and self.limits is not None and self._over_limit(params):
                self.too_many += 1
                return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            if method in ("sendMessage", "sendPhoto") and self.send_delay:
                await asyncio.sleep(self.send_delay)
            handler = getattr(self, f"_api_{method}", None)
            if handler is None:
                return _error(404, "Not Found: method not found")
            result = handler(params)
            if isinstance(result, web.Response):
                return result
            return web.json_response({"ok": True, "result": result})
        finally:
            if self.record:
                async with self._changed:
                    self._changed.notify_all()

    def _over_limit(self, params: dict[str, Any]) -> bool:
        """Whether this sendMessage breaks a flood limit (it is then not delivered)."""
        assert self.limits is not None
        now = time.monotonic()
        while self._recent_sends and self._recent_sends[0] <= now - 1.0:
            self._recent_sends.popleft()
        chat = str(params.get("chat_id"))
        tokens, updated = self._chat_buckets.get(chat, (self.limits.chat_burst, now))
        tokens = min(self.limits.chat_burst, tokens + (now - updated) * self.limits.chat_per_second)
        if len(self._recent_sends) >= self.limits.per_second or tokens < 1:
            self._chat_buckets[chat] = (tokens, now)
            return True
        self._recent_sends.append(now)
        self._chat_buckets[chat] = (tokens - 1, now)
        return False

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for armed in self._faults.get(method, []):
            if armed.times > 0 and armed.chat_id in (None, str(params.get("chat_id"))):
                armed.times -= 1
                return armed.fault
        return None

    async def _get_updates(self, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        if offset:
            # https://core.telegram.org/bots/api#getupdates: an offset confirms earlier ids.
            self._confirmed += [u for u in self._pending if u["update_id"] < offset]
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        if not self._pending and timeout > 0 and not self._closing:
            self._new_updates.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_updates.wait(), timeout)
        return web.json_response({"ok": True, "result": self._pending[:limit]})

    def _api_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return BOT_USER

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        problem = _check_text(params) or _check_keyboard(params.get("reply_markup"))
        if problem:
            return _error(400, f"Bad Request: {problem}")
        return self._deliver(params, {"text": _visible(params["text"], params.get("parse_mode"))})

    def _api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any] | web.Response:
        """A picture by file id (the only kind of `photo` the bot sends), with a caption."""
        caption = str(params.get("caption") or "")
        problem = _check_text({**params, "text": caption or "x"}, limit=1024)
        problem = problem or _check_keyboard(params.get("reply_markup"))
        if problem:
            return _error(400, f"Bad Request: {problem}")
        size = {"file_id": str(params["photo"]), "file_unique_id": "AQAF", "width": 800}
        content: dict[str, Any] = {"photo": [{**size, "height": 600}]}
        if caption:
            content["caption"] = _visible(caption, params.get("parse_mode"))
        return self._deliver(params, content)

    def _deliver(self, params: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        chat_id = str(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": next(self._message_ids[chat_id]),
            "date": int(time.time()),
            "chat": self.chat_of(chat_id),
            "from": BOT_USER,
            **self.thread_fields(chat_id, params.get("message_thread_id")),
            **content,
        }
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        if self.record:
            self._messages[(chat_id, message["message_id"])] = message
            self.sent.append({**params, "message_id": message["message_id"]})
        if self.on_send is not None:
            self.on_send(chat_id, params)
        return message

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        key = (str(params.get("chat_id")), int(params.get("message_id") or 0))
        message = self._messages.get(key)
        if message is None:
            return _error(400, "Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        if not markup and "reply_markup" not in message:
            return _error(400, "Bad Request: message is not modified")
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return message

    def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        key = (str(params.get("chat_id")), int(params.get("message_id") or 0))
        message = self._messages.get(key)
        if message is None:
            return _error(400, "Bad Request: message to edit not found")
        problem = _check_text(params) or _check_keyboard(params.get("reply_markup"))
        if problem:
            return _error(400, f"Bad Request: {problem}")
        if message["text"] == _visible(params["text"], params.get("parse_mode")) and message.get(
            "reply_markup"
        ) == (params.get("reply_markup") or None):
            return _error(400, "Bad Request: message is not modified")
        message["text"] = _visible(params["text"], params.get("parse_mode"))
        # Editing the text without a keyboard removes the one the message had.
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        else:
            message.pop("reply_markup", None)
        return message

    def _api_answerCallbackQuery(self, params: dict[str, Any]) -> bool:
        return True

    def _api_sendChatAction(self, params: dict[str, Any]) -> bool:
        return True

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        return True

    def _api_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        return True

    def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = params
        return True

    def _api_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {}
        return True

    def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        url = self.webhook.get("url", "")
        return {"url": url, "has_custom_certificate": False, "pending_update_count": 0}


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        body = await request.json()
        return dict(body) if isinstance(body, dict) else {}
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if not isinstance(value, str):
            continue
        params[key] = json.loads(value) if key in _JSON_FIELDS else value
    return params


def _visible(text: str, parse_mode: str | None) -> str:
    """The text a user sees: tags removed and entities decoded for HTML."""
    if (parse_mode or "").upper() != "HTML":
        return text
    return html.unescape(_TAG.sub("", text))


def _check_text(params: dict[str, Any], limit: int = 4096) -> str | None:
    """What Telegram would refuse: bad HTML, empty or too long text (a caption: 1024)."""
    text = str(params.get("text", ""))
    if (params.get("parse_mode") or "").upper() == "HTML":
        stripped = _TAG.sub("", text)
        if "<" in stripped or ">" in stripped:
            return "can't parse entities: unsupported start tag"
        if _BAD_AMPERSAND.search(stripped):
            return "can't parse entities: can't find end of the entity"
    visible = _visible(text, params.get("parse_mode"))
    if not visible.strip():
        return "message text is empty"
    if len(visible.encode("utf-16-le")) // 2 > limit:
        return "message is too long"
    return None


def _check_keyboard(markup: Any) -> str | None:
    if not markup:
        return None
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
                return "BUTTON_DATA_INVALID"
    return None


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)
