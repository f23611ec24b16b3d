"""Fakes of Zalo's two server interfaces on 127.0.0.1, for tests.

- FakeZaloOA: the Official Account API v3 (CS messages, user detail) and the OAuth v4 token
  endpoint, with single-use refresh tokens, access tokens that expire on an injected clock,
  the documented error codes, the 7-day interaction window, quotas and a per-minute rate
  limit; plus signed webhook events (text, follow, unfollow, image, sticker, unknown).
- FakeZaloBot: the Zalo Bot API (getMe, getUpdates with one update per call and 408 when
  idle, webhooks, sendMessage, sendChatAction, sendPhoto), its error envelope and the
  Basic plan's monthly message quota; plus webhook bodies with the secret header.

Both record every call and inject faults on demand. What they assume about the real
services is listed in bot/channels/zalo/ASSUMPTIONS.md; every [?] variant can be produced.
This module deliberately does not import the code under test.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import secrets
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

Now = Callable[[], datetime]

OA_APP_ID = "2553928453557884079"
OA_APP_SECRET = "app-secret-for-tests"
OA_ID = "3662729599332560487"
OA_SECRET_KEY = "oa-secret-key-for-tests"
BOT_TOKEN = "1459232241454765289:fake-bot-secret-part"
ACCESS_TOKEN_SECONDS = 90_000  # 25 h
REFRESH_TOKEN_LIFETIME = timedelta(days=90)
CS_WINDOW = timedelta(days=7)
MAX_TEXT = 2000
MAX_BUTTONS = 5
# The real refresh error codes are undocumented: any negative number will do.
REFRESH_REFUSED = -14014

OA_ERRORS = {
    -32: "Your application/OA reached limit call api",
    -201: "Parameters are invalid!",
    -211: "Out of quota",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    -218: "Out of quota receive",
    -220: "access_token is expired or removed",
    -227: "User banned or inactive > 45 days",
    -230: "User has not interacted with the OA in the past 7 days",
    -232: "User has not interacted or last interaction expired",
    -234: "Cannot be sent at night (22:00-06:00)",
    -240: "MessageV2 API has been shut down",
    -305: "Cannot respond after 48 hours",
    -311: "Out of quota for responding",
}


def system_now() -> datetime:
    return datetime.now(UTC)


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def new_id() -> str:
    """20 hex characters, as both surfaces mint message ids."""
    return secrets.token_hex(10)


@dataclass
class Fault:
    """What to answer instead of the normal reply: a JSON object, raw text or raw bytes."""

    status: int = 200
    body: dict[str, Any] | str | bytes = field(default_factory=dict)
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def oa_error(code: int, message: str | None = None) -> dict[str, Any]:
    """The body of an OA error: a non-zero `error` (with HTTP 200, as the OA answers)."""
    return {"error": code, "message": message or OA_ERRORS.get(code, "Error")}


def oa_fault(code: int, message: str | None = None) -> Fault:
    return Fault(200, oa_error(code, message))


def bot_error(status: int, description: str) -> dict[str, Any]:
    """The Bot API error envelope (S3 ErrorResponse, S5 ZaloApiError)."""
    return {"ok": False, "error_code": status, "description": description}


def bot_fault(status: int, description: str, retry_after: int | None = None) -> Fault:
    body = bot_error(status, description)
    if retry_after is not None:  # Telegram's shape; Zalo's is unknown [?]
        body["parameters"] = {"retry_after": retry_after}
    return Fault(status, body)


@dataclass
class Call:
    """One request the fake received: the operation, its parameters and what it answered."""

    operation: str
    params: dict[str, Any]
    headers: dict[str, str]
    answer: Any = None


@dataclass
class _Armed:
    fault: Fault
    times: int


@dataclass
class Hold:
    """Keeps requests to one operation waiting until `release()`; `entered` when one arrived."""

    entered: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        self.released.set()


class _Server:
    """Shared plumbing: a runner on 127.0.0.1, armed faults, holds and a call log."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._faults: dict[str, list[_Armed]] = defaultdict(list)
        self._holds: dict[str, Hold] = {}
        self._changed = asyncio.Condition()

    async def _serve(self, app: web.Application) -> None:
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]

    async def close(self) -> None:
        for hold in self._holds.values():
            hold.release()
        if self._runner is not None:
            await self._runner.cleanup()

    def fail(self, operation: str, fault: Fault, *, times: int = 1) -> None:
        """The next `times` calls of `operation` get `fault`."""
        self._faults[operation].append(_Armed(fault, times))

    def hold(self, operation: str) -> Hold:
        """Calls of `operation` wait until the returned Hold is released."""
        hold = self._holds[operation] = Hold()
        return hold

    def calls_of(self, operation: str) -> list[Call]:
        return [call for call in self.calls if call.operation == operation]

    async def wait_for(self, predicate: Callable[[], bool], within: float = 5.0) -> None:
        """Wait until `predicate()` holds, re-checked after every call (or every 20 ms)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not predicate():
            if loop.time() > deadline:
                raise TimeoutError("condition not reached")
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), 0.02)

    async def _record(self, call: Call) -> None:
        self.calls.append(call)
        async with self._changed:
            self._changed.notify_all()

    async def _prelude(self, operation: str) -> Fault | None:
        """Wait out a hold, then take an armed fault if there is one."""
        hold = self._holds.get(operation)
        if hold is not None:
            hold.entered.set()
            await hold.released.wait()
        for armed in self._faults.get(operation, []):
            if armed.times > 0:
                armed.times -= 1
                if armed.fault.delay:
                    await asyncio.sleep(armed.fault.delay)
                return armed.fault
        return None


def _respond(
    status: int, body: dict[str, Any] | str | bytes, headers: dict[str, str]
) -> web.Response:
    if isinstance(body, bytes):
        return web.Response(status=status, body=body, headers=headers)
    if isinstance(body, str):
        return web.Response(status=status, text=body, headers=headers)
    return web.json_response(body, status=status, headers=headers)


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def nfc_len(text: str) -> int:
    return len(unicodedata.normalize("NFC", text))


# --- Zalo Official Account -------------------------------------------------------------


@dataclass
class OaUser:
    """A citizen as the OA sees them."""

    user_id: str
    last_interaction: datetime | None
    follower: bool = True
    banned: bool = False
    display_name: str = "Nguyễn Văn A"
    received: list[datetime] = field(default_factory=list)


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class SignedEvent:
    """A webhook request as the OA would send it: raw body bytes and headers."""

    body: bytes
    headers: dict[str, str]

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data

    def retried(self, attempt: int = 1) -> SignedEvent:
        """The same event delivered again, as the OA retries after no 200 (O4, O5 §13.2)."""
        return SignedEvent(self.body, {**self.headers, "num_retry": str(attempt)})


class FakeZaloOA(_Server):
    """OA API at `api_base`, OAuth at `oauth_base` (same server, different path prefixes)."""

    def __init__(
        self,
        now: Now = system_now,
        *,
        app_id: str = OA_APP_ID,
        app_secret: str = OA_APP_SECRET,
        oa_id: str = OA_ID,
        oa_secret: str = OA_SECRET_KEY,
        rate_limit_per_minute: int = 4000,
        oa_quota: int | None = None,
        daily_quota_per_user: int | None = None,
        window_error: int = -230,
        expires_in_as_string: bool = True,
    ) -> None:
        super().__init__()
        self.now = now
        self.app_id, self.app_secret = app_id, app_secret
        self.oa_id, self.oa_secret = oa_id, oa_secret
        self.rate_limit_per_minute = rate_limit_per_minute
        self.oa_quota = oa_quota
        self.daily_quota_per_user = daily_quota_per_user
        self.window_error = window_error
        self.expires_in_as_string = expires_in_as_string
        self.users: dict[str, OaUser] = {}
        self.sent: list[dict[str, Any]] = []
        self._access: dict[str, datetime] = {}  # access token -> expiry
        self._refresh: dict[str, datetime] = {}  # refresh token not used yet -> expiry
        self._minute: tuple[int, int] = (0, 0)  # (minute number, requests in it)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def oauth_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/oauth"

    async def start(self) -> FakeZaloOA:
        app = web.Application()
        app.router.add_post("/v3.0/oa/message/cs", self._message_cs)
        app.router.add_post("/v2.0/oa/message", self._message_v2)
        app.router.add_get("/v3.0/oa/user/detail", self._user_detail)
        app.router.add_post("/oauth/v4/oa/access_token", self._access_token)
        await self._serve(app)
        return self

    async def __aenter__(self) -> FakeZaloOA:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- what tests arrange ----------------------------------------------------------------

    def issue_tokens(self) -> IssuedTokens:
        """A fresh pair, as an OA admin's consent gives (what `zalo token set` stores)."""
        access, refresh = "AT-" + secrets.token_urlsafe(24), "RT-" + secrets.token_urlsafe(24)
        now = self.now()
        self._access[access] = now + timedelta(seconds=ACCESS_TOKEN_SECONDS)
        self._refresh[refresh] = now + REFRESH_TOKEN_LIFETIME
        return IssuedTokens(access, refresh, ACCESS_TOKEN_SECONDS)

    def expire_access_token(self, token: str) -> None:
        """The token now answers -220 (expired)."""
        self._access[token] = self.now() - timedelta(seconds=1)

    def revoke_access_token(self, token: str) -> None:
        """The token now answers -216 (invalid)."""
        self._access.pop(token, None)

    def add_user(
        self, user_id: str, last_interaction: datetime | None = None, **details: Any
    ) -> OaUser:
        """A follower who interacted at `last_interaction` (default: now)."""
        user = OaUser(user_id, last_interaction or self.now(), **details)
        self.users[user_id] = user
        return user

    def messages_to(self, user_id: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["recipient"]["user_id"] == user_id]

    # --- signed webhook events (O1 zalo_events_job.rb, O5 §13.3) ----------------------------

    def text_event(
        self, user_id: str, text: str, *, event_name: str = "user_send_text", **options: Any
    ) -> SignedEvent:
        """A citizen's text; `event_name="user_click_button"` gives that variant [?]."""
        return self._user_event(event_name, user_id, {"text": text}, **options)

    def tap(self, user_id: str, title: str, **options: Any) -> SignedEvent:
        """The citizen taps the query button titled `title` on the last message sent to them."""
        for message in reversed(self.messages_to(user_id)):
            payload = message["message"].get("attachment", {}).get("payload", {})
            for button in payload.get("buttons", []):
                if button["title"] == title and button["type"].startswith("oa.query."):
                    return self.text_event(user_id, button["payload"], **options)
        raise KeyError(f"no query button {title!r} was sent to {user_id}")

    def image_event(self, user_id: str, url: str = "https://photo.example/1.jpg") -> SignedEvent:
        attachment = {"type": "image", "payload": {"url": url, "thumbnail": url}}
        return self._user_event("user_send_image", user_id, {"attachments": [attachment]})

    def sticker_event(self, user_id: str, sticker_id: str = "bfe458bf64fa8da4d4eb") -> SignedEvent:
        url = f"https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid={sticker_id}"
        attachment = {"type": "sticker", "payload": {"id": sticker_id, "url": url}}
        return self._user_event("user_send_sticker", user_id, {"attachments": [attachment]})

    def unknown_event(self, user_id: str, event_name: str = "user_seen_message") -> SignedEvent:
        message = {"msg_ids": [new_id()]}
        return self._user_event(event_name, user_id, message, msg_id_key="", interaction=False)

    def follow_event(self, user_id: str, **options: Any) -> SignedEvent:
        user = self.users.get(user_id) or self.add_user(user_id)
        user.follower = True
        return self._follow_event("follow", user_id, **options)

    def unfollow_event(self, user_id: str, **options: Any) -> SignedEvent:
        user = self.users.get(user_id) or self.add_user(user_id)
        user.follower = False
        return self._follow_event("unfollow", user_id, interaction=False, **options)

    def _user_event(
        self,
        event_name: str,
        user_id: str,
        message: dict[str, Any],
        *,
        msg_id: str | None = None,
        msg_id_key: str = "msg_id",
        interaction: bool = True,
        **options: Any,
    ) -> SignedEvent:
        """`msg_id_key="mid"` gives the minority variant [?]; `msg_id` repeats a message."""
        if msg_id_key:
            message = {**message, msg_id_key: msg_id or new_id()}
        body = {
            "app_id": self.app_id,
            "user_id_by_app": "979122185046046317",
            "event_name": event_name,
            "timestamp": "",
            "sender": {"id": user_id},
            "recipient": {"id": self.oa_id},
            "message": message,
        }
        return self._signed(body, user_id, interaction, **options)

    def _follow_event(
        self, event_name: str, user_id: str, *, interaction: bool = True, **options: Any
    ) -> SignedEvent:
        body = {
            "app_id": self.app_id,
            "oa_id": self.oa_id,
            "user_id_by_app": "979122185046046317",
            "event_name": event_name,
            "timestamp": "",
            "source": "oa_profile",
            "follower": {"id": user_id},
        }
        return self._signed(body, user_id, interaction, **options)

    def sign(self, body: dict[str, Any], **options: Any) -> SignedEvent:
        """Sign any body (malformed ones too; its timestamp is set), with `_signed`'s options."""
        return self._signed(body, None, False, **options)

    def _signed(
        self,
        body: dict[str, Any],
        user_id: str | None,
        interaction: bool,
        *,
        at: datetime | None = None,
        sign_with: str = "app_id",
        timestamp_in: str = "body",
        mac_prefix: bool = True,
        secret: str | None = None,
    ) -> SignedEvent:
        """Sign as O1 does: mac=sha256(app_id + raw body + timestamp + OA secret key).

        `sign_with="oa_id"` signs with the OA id instead [?, O5]; `timestamp_in="header"`
        moves the timestamp to X-ZEvent-Timestamp [?]; `secret` forges a signature.
        """
        moment = at or self.now()
        timestamp = str(epoch_ms(moment))
        headers = {"Content-Type": "application/json"}
        if timestamp_in == "header":
            body.pop("timestamp", None)
            headers["X-ZEvent-Timestamp"] = timestamp
        else:
            body["timestamp"] = timestamp
        raw = json.dumps(body, ensure_ascii=False).encode()
        first = self.oa_id if sign_with == "oa_id" else self.app_id
        key = self.oa_secret if secret is None else secret
        mac = hashlib.sha256(first.encode() + raw + timestamp.encode() + key.encode()).hexdigest()
        headers["X-ZEvent-Signature"] = f"mac={mac}" if mac_prefix else mac
        if interaction and user_id is not None:
            user = self.users.get(user_id) or self.add_user(user_id, moment)
            user.last_interaction = moment
        return SignedEvent(raw, headers)

    @staticmethod
    async def post_event(url: str, event: SignedEvent) -> tuple[int, str]:
        """POST an event to the bot's webhook; the status and body it answered."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=event.body, headers=event.headers) as response,
        ):
            return response.status, await response.text()

    # --- the API ---------------------------------------------------------------------------

    async def _message_cs(self, request: web.Request) -> web.Response:
        params = _json_object(await request.text())
        call, headers, early = await self._api_call("message/cs", request, params)
        if early is not None:
            return early
        call.answer = self._send_cs(params)
        return _respond(200, call.answer, headers)

    async def _message_v2(self, request: web.Request) -> web.Response:
        await self._record(Call("message/v2", {}, dict(request.headers), -240))
        return _respond(200, oa_error(-240), {})

    async def _user_detail(self, request: web.Request) -> web.Response:
        params = _json_object(request.query.get("data", ""))
        call, headers, early = await self._api_call("user/detail", request, params)
        if early is not None:
            return early
        user = self.users.get(str(params.get("user_id", "")))
        if user is None:
            call.answer = oa_error(-213)
        else:
            data = {
                "user_id": user.user_id,
                "display_name": user.display_name,
                "user_is_follower": user.follower,
            }
            call.answer = {"data": data, "error": 0, "message": "Success"}
        return _respond(200, call.answer, headers)

    async def _api_call(
        self, operation: str, request: web.Request, params: dict[str, Any]
    ) -> tuple[Call, dict[str, str], web.Response | None]:
        """Record; then faults, the rate limit (O6) and the access token may answer early."""
        call = Call(operation, params, dict(request.headers))
        await self._record(call)
        headers = self._count_request()
        fault = await self._prelude(operation)
        if fault is not None:
            call.answer = fault.body
            return call, headers, _respond(fault.status, fault.body, {**headers, **fault.headers})
        if self._minute[1] > self.rate_limit_per_minute:
            call.answer = oa_error(-32)
        else:
            call.answer = self._token_error(request.headers.get("access_token"))
        if call.answer is None:
            return call, headers, None
        return call, headers, _respond(200, call.answer, headers)

    def _count_request(self) -> dict[str, str]:
        minute = epoch_ms(self.now()) // 60_000
        count = self._minute[1] + 1 if self._minute[0] == minute else 1
        self._minute = (minute, count)
        remain = max(self.rate_limit_per_minute - count, 0)
        return {
            "X-RateLimit-Limit": str(self.rate_limit_per_minute),
            "X-RateLimit-Remain": str(remain),
        }

    def _token_error(self, token: str | None) -> dict[str, Any] | None:
        expires = self._access.get(token or "")
        if expires is None:
            return oa_error(-216)
        if self.now() >= expires:
            return oa_error(-220)
        return None

    def _send_cs(self, params: dict[str, Any]) -> dict[str, Any]:
        recipient = params.get("recipient")
        user_id = recipient.get("user_id") if isinstance(recipient, dict) else None
        if not isinstance(user_id, str) or not user_id:
            return oa_error(-201, "recipient.user_id is invalid!")
        problem = check_message(params.get("message"))
        if problem is not None:
            return oa_error(-201, f"{problem} is invalid!")
        user = self.users.get(user_id)
        now = self.now()
        if user is None or not user.follower:
            return oa_error(-213)
        if user.banned:
            return oa_error(-227)
        if user.last_interaction is None or now - user.last_interaction > CS_WINDOW:
            return oa_error(self.window_error)
        if self.oa_quota is not None and len(self.sent) >= self.oa_quota:
            return oa_error(-211)
        today = [t for t in user.received if t.date() == now.date()]
        if self.daily_quota_per_user is not None and len(today) >= self.daily_quota_per_user:
            return oa_error(-218)
        user.received.append(now)
        self.sent.append(params)
        data: dict[str, Any] = {
            "message_id": new_id(),
            "user_id": user_id,
            "sent_time": str(epoch_ms(now)),
        }
        if self.daily_quota_per_user is not None:  # the quota block is optional (O6)
            left = self.daily_quota_per_user - len(today) - 1
            data["quota"] = {
                "quota_type": "reply",
                "remain": str(left),
                "total": str(self.daily_quota_per_user),
            }
        return {"data": data, "error": 0, "message": "Success"}

    async def _access_token(self, request: web.Request) -> web.Response:
        form = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        call = Call("access_token", form, dict(request.headers))
        await self._record(call)
        fault = await self._prelude("access_token")
        if fault is not None:
            call.answer = fault.body
            return _respond(fault.status, fault.body, fault.headers)
        call.answer = self._grant(request.headers.get("secret_key"), form)
        return _respond(200, call.answer, {})

    def _grant(self, secret_key: str | None, form: dict[str, str]) -> dict[str, Any]:
        """A form POST with a secret_key header (O1, O3); a refresh token works once."""
        if secret_key != self.app_secret or form.get("app_id") != self.app_id:
            return _oauth_error(-14001, "invalid_client", "Invalid app id or secret key")
        if form.get("grant_type") != "refresh_token":
            return _oauth_error(-14002, "unsupported_grant_type", "Unsupported grant type")
        # Popped: from now on this refresh token is unknown, so any reuse fails.
        expires = self._refresh.pop(form.get("refresh_token", ""), None)
        if expires is None:
            return _oauth_error(REFRESH_REFUSED, "invalid_grant", "Refresh token is invalid")
        if self.now() >= expires:
            return _oauth_error(REFRESH_REFUSED, "invalid_grant", "Refresh token is expired")
        issued = self.issue_tokens()
        expires_in: str | int = issued.expires_in
        if self.expires_in_as_string:
            expires_in = str(expires_in)
        return {
            "access_token": issued.access_token,
            "refresh_token": issued.refresh_token,
            "expires_in": expires_in,
        }


def _oauth_error(code: int, name: str, description: str) -> dict[str, Any]:
    return {"error": code, "error_name": name, "error_description": description}


_QUERY_TYPES = {"oa.query.show", "oa.query.hide"}
_OPEN_FIELDS = {
    "oa.open.url": ("url",),
    "oa.open.phone": ("phone_code",),
    "oa.open.sms": ("phone_code", "content"),
}


def check_message(message: Any) -> str | None:
    """The first invalid field of a CS `message` (O2, O4, O5 §5.3, O7), or None when it is valid."""
    if not isinstance(message, dict):
        return "message"
    text, attachment = message.get("text"), message.get("attachment")
    if text is None and attachment is None:
        return "message"
    if text is not None and not _valid_text(text):
        return "message.text"
    if attachment is not None:
        return _check_attachment(attachment)
    return None


def _valid_text(text: Any) -> bool:
    return isinstance(text, str) and bool(text.strip()) and nfc_len(text) <= MAX_TEXT


def _check_attachment(attachment: Any) -> str | None:
    if not isinstance(attachment, dict) or attachment.get("type") != "template":
        return "message.attachment.type"
    payload = attachment.get("payload")
    if not isinstance(payload, dict):
        return "message.attachment.payload"
    if payload.get("template_type") == "media":
        elements = payload.get("elements")
        if not isinstance(elements, list) or not elements:
            return "message.attachment.payload.elements"
        return None
    # The O4 variant puts the text inside the payload, with template_type "button" [?].
    if payload.get("template_type") == "button" and not _valid_text(payload.get("text")):
        return "message.attachment.payload.text"
    buttons = payload.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        return "message.attachment.payload.buttons"
    for index, button in enumerate(buttons):
        if not _valid_button(button):
            return f"message.attachment.payload.buttons[{index}]"
    return None


def _valid_button(button: Any) -> bool:
    if not isinstance(button, dict):
        return False
    title, kind, payload = button.get("title"), button.get("type"), button.get("payload")
    if not isinstance(title, str) or not 1 <= len(title) <= 100:
        return False
    if kind in _QUERY_TYPES:
        return isinstance(payload, str) and 1 <= len(payload) <= 1000
    fields = _OPEN_FIELDS.get(str(kind))
    if fields is None or not isinstance(payload, dict):
        return False
    url = str(payload.get("url", "")) if kind == "oa.open.url" else "https://"
    if not url.startswith(("https://", "http://")):
        return False
    return all(isinstance(payload.get(f), str) and payload[f] for f in fields)


# --- Zalo Bot ----------------------------------------------------------------------------


class FakeZaloBot(_Server):
    """The Bot API at `base_url` (the client appends /bot<token>/<method>)."""

    def __init__(
        self,
        now: Now = system_now,
        *,
        token: str = BOT_TOKEN,
        monthly_quota: int | None = None,
        quota_fault: Fault | None = None,
        replays: int = 0,
    ) -> None:
        super().__init__()
        self.now = now
        self.token = token
        self.monthly_quota = monthly_quota
        # What a send answers once the quota is used up: undocumented, so configurable [?].
        self.quota_fault = quota_fault or bot_fault(403, "Quota exceeded: monthly message limit")
        # How many extra times each update is served (consumed updates are replayed, S2) [?].
        self.replays = replays
        self.sent: list[dict[str, Any]] = []
        self.messages_this_month = 0
        self.webhook: dict[str, Any] | None = None
        self._pending: list[tuple[dict[str, Any], int]] = []  # (update, times served)
        self._new_update = asyncio.Event()
        self._closing = False

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeZaloBot:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        await self._serve(app)
        return self

    async def close(self) -> None:
        self._closing = True
        self._new_update.set()
        await super().close()

    async def __aenter__(self) -> FakeZaloBot:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- what tests inject -----------------------------------------------------------------

    def inject_text(
        self,
        user_id: str,
        text: str,
        *,
        name_field: str = "display_name",
        chat_type: str = "PRIVATE",
        chat_id: str | None = None,
    ) -> dict[str, Any]:
        """Queue a text; `name_field="first_name"` gives the S6 docs variant [?]."""
        return self._inject(
            "message.text.received", user_id, {"text": text}, name_field, chat_type, chat_id
        )

    def inject_image(
        self, user_id: str, photo_url: str = "https://photo.example/1.jpg", caption: str = ""
    ) -> dict[str, Any]:
        content = {"photo_url": photo_url, **({"caption": caption} if caption else {})}
        return self._inject("message.image.received", user_id, content)

    def inject_sticker(self, user_id: str, sticker: str = "bfe458bf64fa8da4d4eb") -> dict[str, Any]:
        return self._inject("message.sticker.received", user_id, {"sticker": sticker})

    def inject_unsupported(self, user_id: str) -> dict[str, Any]:
        return self._inject("message.unsupported.received", user_id, {})

    def _inject(
        self,
        event_name: str,
        user_id: str,
        content: dict[str, Any],
        name_field: str = "display_name",
        chat_type: str = "PRIVATE",
        chat_id: str | None = None,
    ) -> dict[str, Any]:
        update = {
            "event_name": event_name,
            "message": {
                "message_id": new_id(),
                "date": epoch_ms(self.now()),
                "chat": {"id": chat_id or user_id, "chat_type": chat_type},
                "from": {"id": user_id, name_field: "Nguyễn Văn A", "is_bot": False},
                **content,
            },
        }
        self._pending.append((update, 0))
        self._new_update.set()
        return update

    def webhook_request(
        self, update: dict[str, Any], *, envelope: str = "flat", secret: str | None = None
    ) -> tuple[bytes, dict[str, str]]:
        """The POST Zalo makes to a webhook: flat, or `envelope="wrapped"` in ok/result [?]."""
        body = update if envelope == "flat" else {"ok": True, "result": update}
        if secret is None:
            secret = (self.webhook or {}).get("secret_token", "")
        headers = {"Content-Type": "application/json", "X-Bot-Api-Secret-Token": secret}
        return json.dumps(body, ensure_ascii=False).encode(), headers

    # --- the API ---------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _bot_params(request)
        call = Call(method, params, dict(request.headers))
        await self._record(call)
        if request.match_info["token"] != self.token:
            return self._answer(call, 401, bot_error(401, "Unauthorized"))
        fault = await self._prelude(method)
        if fault is not None:
            return self._answer(call, fault.status, fault.body, fault.headers)
        if method == "getUpdates":
            status, body = await self._get_updates(params)
            return self._answer(call, status, body)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return self._answer(call, 404, bot_error(404, "Not Found"))
        status, body = handler(params)
        return self._answer(call, status, body)

    @staticmethod
    def _answer(
        call: Call,
        status: int,
        body: dict[str, Any] | str | bytes,
        headers: dict[str, str] | None = None,
    ) -> web.Response:
        call.answer = body
        return _respond(status, body, headers or {})

    async def _get_updates(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """One update per call; 408 after `timeout` seconds when idle (S2, S5)."""
        if self.webhook is not None:
            return 409, bot_error(409, "Conflict: getUpdates is not allowed while a webhook is set")
        timeout = _seconds(params.get("timeout"))
        if not self._pending and timeout > 0 and not self._closing:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
        if not self._pending:
            return 408, bot_error(408, "Request timeout")
        update, served = self._pending.pop(0)
        if served < self.replays:  # served again on the next poll
            self._pending.insert(0, (update, served + 1))
        return 200, {"ok": True, "result": update}

    def _ok(self, result: Any) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": True, "result": result}

    def _api_getMe(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        bot_id = self.token.split(":", 1)[0]
        return self._ok(
            {
                "id": bot_id,
                "account_name": "bot.VDKyGxQvc",
                "account_type": "BASIC",
                "can_join_groups": False,
                "display_name": "Bot Trợ lý Chuyển đổi số",
            }
        )

    def _api_sendMessage(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        text = params.get("text")
        if not isinstance(text, str) or not 1 <= nfc_len(text) <= MAX_TEXT or not text.strip():
            return 400, bot_error(400, "Bad Request: text must be 1-2000 characters")
        return self._deliver(params)

    def _api_sendPhoto(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        photo, caption = params.get("photo"), params.get("caption", "")
        if not isinstance(photo, str) or not photo.startswith(("https://", "http://")):
            return 400, bot_error(400, "Bad Request: photo must be a URL")
        if not isinstance(caption, str) or nfc_len(caption) > MAX_TEXT:
            return 400, bot_error(400, "Bad Request: caption is too long")
        return self._deliver(params)

    def _deliver(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if not isinstance(params.get("chat_id"), str) or not params["chat_id"]:
            return 400, bot_error(400, "Bad Request: chat_id is empty")
        if self.monthly_quota is not None and self.messages_this_month >= self.monthly_quota:
            body = self.quota_fault.body
            return self.quota_fault.status, body if isinstance(body, dict) else {}
        self.messages_this_month += 1
        message_id, date = new_id(), epoch_ms(self.now())
        self.sent.append({**params, "message_id": message_id})
        return self._ok({"message_id": message_id, "date": date})

    def _api_sendChatAction(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if params.get("action") != "typing":  # upload_photo is "coming soon" (S6)
            return 400, bot_error(400, "Bad Request: unsupported action")
        return 200, {"ok": True}

    def _api_setWebhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        url, secret = params.get("url"), params.get("secret_token")
        if not isinstance(url, str) or not url.startswith("https://"):
            return 400, bot_error(400, "Bad Request: url must be HTTPS")
        if not isinstance(secret, str) or not 8 <= len(secret) <= 256:
            return 400, bot_error(400, "Bad Request: secret_token must be 8-256 characters")
        self.webhook = {"url": url, "secret_token": secret, "updated_at": epoch_ms(self.now())}
        return self._ok({"url": url, "updated_at": self.webhook["updated_at"]})

    def _api_deleteWebhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        self.webhook = None
        return self._ok({"url": "", "updated_at": epoch_ms(self.now())})

    def _api_getWebhookInfo(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.webhook is None:  # measured by S2: no error_code in this one
            return 404, {"ok": False, "description": "Not Found"}
        return self._ok({"url": self.webhook["url"], "updated_at": self.webhook["updated_at"]})


async def _bot_params(request: web.Request) -> dict[str, Any]:
    """JSON (S5), form (S1) or query string (GET examples): all accepted (S1, S5, S9)."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        with contextlib.suppress(ValueError):
            body = await request.json()
            if isinstance(body, dict):
                params.update(body)
    elif request.can_read_body:
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


def _seconds(value: Any) -> float:
    """`timeout` as a number or a string of digits (S5 sends "30")."""
    with contextlib.suppress(TypeError, ValueError):
        return max(float(value), 0.0)
    return 0.0
