"""The Zalo Bot client against the fake Bot API: polling, sending, webhooks, errors, quota."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.channels.base import (
    DeliveryError,
    PermanentFailure,
    RecipientUnreachable,
    RetryAfter,
    TemporaryFailure,
)
from bot.channels.zalo import render
from bot.channels.zalo.bot_api import WebhookActive, WebhookInfo, ZaloBotApi
from bot.channels.zalo.errors import QuotaExhausted
from bot.channels.zalo.inbound import EventKind, parse_bot_update
from bot.clock import ManualClock
from bot.messages import Button, Reply
from tests.fake_zalo import BOT_TOKEN, FakeZaloBot, Fault, bot_fault

CITIZEN = "e4ea2cd5189df1c3a88c"
WEBHOOK = "https://bot.example.org/zalo/webhook"
SECRET = "s3cret-token-42"


@pytest.fixture
async def fake(clock: ManualClock) -> AsyncIterator[FakeZaloBot]:
    async with FakeZaloBot(clock.now) as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def api(fake: FakeZaloBot, session: aiohttp.ClientSession) -> ZaloBotApi:
    return ZaloBotApi(session, BOT_TOKEN, base_url=fake.base_url, timeout_seconds=0.5)


async def test_get_me(api: ZaloBotApi, fake: FakeZaloBot) -> None:
    me = await api.get_me()
    assert me["account_type"] == "BASIC"
    assert me["id"] == BOT_TOKEN.split(":")[0]


async def test_idle_polling_answers_408_and_returns_nothing(
    api: ZaloBotApi, fake: FakeZaloBot
) -> None:
    assert await api.get_updates(timeout_seconds=0) == []
    [call] = fake.calls_of("getUpdates")
    assert call.params == {"timeout": "0"}  # a string, as the docs type it
    assert call.answer == {"ok": False, "error_code": 408, "description": "Request timeout"}


async def test_a_long_poll_wakes_up_for_a_new_update(api: ZaloBotApi, fake: FakeZaloBot) -> None:
    polling = asyncio.create_task(api.get_updates(timeout_seconds=5))
    await fake.wait_for(lambda: len(fake.calls_of("getUpdates")) == 1)
    assert not polling.done()
    update = fake.inject_text(CITIZEN, "đăng ký định danh mức 2 ở đâu")
    assert await asyncio.wait_for(polling, 5) == [update]


async def test_one_update_per_call_in_order(api: ZaloBotApi, fake: FakeZaloBot) -> None:
    first = fake.inject_text(CITIZEN, "1")
    second = fake.inject_image(CITIZEN)
    assert await api.get_updates(0) == [first]
    assert await api.get_updates(0) == [second]
    assert await api.get_updates(0) == []
    assert parse_bot_update(second).kind is EventKind.IMAGE


async def test_replayed_updates_come_again_and_dedupe_by_message_id(
    clock: ManualClock, session: aiohttp.ClientSession
) -> None:
    async with FakeZaloBot(clock.now, replays=1) as fake:
        api = ZaloBotApi(session, BOT_TOKEN, base_url=fake.base_url)
        fake.inject_text(CITIZEN, "a")
        fake.inject_text(CITIZEN, "b")
        seen: dict[str, str] = {}
        while updates := await api.get_updates(0):
            event = parse_bot_update(updates[0])
            assert event.dedupe_key is not None and event.text is not None
            seen.setdefault(event.dedupe_key, event.text)
        assert len(fake.calls_of("getUpdates")) == 5  # a, a, b, b, then idle
        assert list(seen.values()) == ["a", "b"]


async def test_webhook_and_polling_exclude_each_other(api: ZaloBotApi, fake: FakeZaloBot) -> None:
    assert await api.get_webhook_info() is None  # a 404 without error_code
    info = await api.set_webhook(WEBHOOK, SECRET)
    assert info.url == WEBHOOK and info.updated_at_ms
    assert await api.get_webhook_info() == WebhookInfo(WEBHOOK, info.updated_at_ms)
    with pytest.raises(WebhookActive, match="webhook"):
        await api.get_updates(0)
    await api.delete_webhook()
    await api.delete_webhook()  # succeeds when none is set
    assert await api.get_webhook_info() is None
    assert await api.get_updates(0) == []


@pytest.mark.parametrize(
    ("url", "secret"),
    [("http://bot.example.org/hook", SECRET), (WEBHOOK, "short"), (WEBHOOK, "x" * 257)],
)
async def test_set_webhook_validates_url_and_secret(
    api: ZaloBotApi, fake: FakeZaloBot, url: str, secret: str
) -> None:
    with pytest.raises(PermanentFailure):
        await api.set_webhook(url, secret)
    assert fake.webhook is None


async def test_send_message_and_chat_action(api: ZaloBotApi, fake: FakeZaloBot) -> None:
    await api.send_chat_action(CITIZEN)
    [text] = render.render_bot(Reply("Chọn buổi:", (Button("Sáng thứ Bảy", "signup:pick:1"),)))
    sent = await api.send_message(CITIZEN, text)
    assert sent.message_id and len(sent.message_id) == 20 and sent.date_ms
    assert fake.sent == [{"chat_id": CITIZEN, "text": text, "message_id": sent.message_id}]
    assert fake.calls_of("sendChatAction")[0].answer == {"ok": True}
    with pytest.raises(PermanentFailure):
        await api.send_chat_action(CITIZEN, "upload_photo")  # "coming soon"


async def test_the_2000_character_limit(api: ZaloBotApi, fake: FakeZaloBot) -> None:
    await api.send_message(CITIZEN, "đ" * 2000)
    with pytest.raises(PermanentFailure, match="2000"):
        await api.send_message(CITIZEN, "đ" * 2001)
    with pytest.raises(PermanentFailure):
        await api.send_message(CITIZEN, "")
    parts = render.render_bot(Reply("đ " * 1500))
    for part in parts:
        await api.send_message(CITIZEN, part)
    assert len(fake.sent) == 1 + len(parts) == 3


async def test_the_monthly_quota_is_exhausted(
    clock: ManualClock, session: aiohttp.ClientSession
) -> None:
    async with FakeZaloBot(clock.now, monthly_quota=2) as fake:
        api = ZaloBotApi(session, BOT_TOKEN, base_url=fake.base_url)
        await api.send_message(CITIZEN, "một")
        await api.send_message(CITIZEN, "hai")
        with pytest.raises(QuotaExhausted) as caught:
            await api.send_message(CITIZEN, "ba")
        assert caught.value.reason.startswith("Zalo quota exhausted")
        assert len(fake.sent) == 2


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        (bot_fault(429, "Too Many Requests", retry_after=3), RetryAfter),
        (bot_fault(429, "Too Many Requests"), RetryAfter),
        (bot_fault(500, "Internal Server Error"), TemporaryFailure),
        (Fault(502, "<html>Bad Gateway</html>"), TemporaryFailure),
        (Fault(200, "<html>captive portal</html>"), TemporaryFailure),
        (Fault(200, b"\xff\xfe\x00garbage"), TemporaryFailure),
        (bot_fault(429, "Too Many Requests", retry_after=-1), RetryAfter),
        (Fault(200, "", delay=1.0), TemporaryFailure),  # slower than the client's timeout
        (bot_fault(400, "Bad Request: chat not found"), PermanentFailure),
        (bot_fault(403, "Forbidden: user has blocked the bot"), RecipientUnreachable),
        (bot_fault(403, "Forbidden"), PermanentFailure),
        (bot_fault(403, "Monthly quota exceeded"), QuotaExhausted),
        (Fault(200, {"ok": False, "error_code": 400, "description": "odd"}), PermanentFailure),
    ],
)
async def test_errors_are_mapped(
    api: ZaloBotApi, fake: FakeZaloBot, fault: Fault, expected: type[DeliveryError]
) -> None:
    fake.fail("sendMessage", fault)
    with pytest.raises(expected) as caught:
        await api.send_message(CITIZEN, "xin chào")
    assert type(caught.value) is expected
    if isinstance(caught.value, RetryAfter):
        assert caught.value.seconds in (3, 5)


async def test_a_wrong_token_and_an_unknown_method(
    fake: FakeZaloBot, session: aiohttp.ClientSession
) -> None:
    wrong = ZaloBotApi(session, "1:not-the-token", base_url=fake.base_url)
    with pytest.raises(PermanentFailure, match="401"):
        await wrong.get_me()
    async with session.post(f"{fake.base_url}/bot{BOT_TOKEN}/sendVoice", json={}) as response:
        assert response.status == 404


async def test_the_token_never_reaches_logs_or_errors(
    session: aiohttp.ClientSession, fake: FakeZaloBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.fail("sendMessage", bot_fault(400, f"Bad Request: echo {BOT_TOKEN}"))
    api = ZaloBotApi(session, BOT_TOKEN, base_url=fake.base_url)
    unreachable = ZaloBotApi(session, BOT_TOKEN, base_url="http://127.0.0.1:9")
    errors: list[BaseException] = []
    for call in (api.send_message(CITIZEN, "x"), unreachable.send_message(CITIZEN, "x")):
        with pytest.raises(DeliveryError) as caught:
            await call
        errors.append(caught.value)
    await api.send_message(CITIZEN, "x")
    secret_part = BOT_TOKEN.split(":")[1]
    for error in errors:
        assert secret_part not in str(error) and error.__cause__ is None
        assert error.__suppress_context__ or error.__context__ is None
    assert caplog.records, "the client logs its calls"
    assert all(secret_part not in record.getMessage() for record in caplog.records)
    assert all(CITIZEN not in record.getMessage() for record in caplog.records)


async def test_the_fake_accepts_form_get_and_query_bodies(fake: FakeZaloBot) -> None:
    base = f"{fake.base_url}/bot{BOT_TOKEN}"
    async with aiohttp.ClientSession() as raw:
        async with raw.get(f"{base}/getMe") as response:
            assert (await response.json())["ok"] is True
        form = {"chat_id": CITIZEN, "text": "form"}
        async with raw.post(f"{base}/sendMessage", data=form) as response:
            assert (await response.json())["ok"] is True
        query = {"chat_id": CITIZEN, "photo": "https://p.example/a.jpg", "caption": "ảnh"}
        async with raw.get(f"{base}/sendPhoto", params=query) as response:
            assert (await response.json())["ok"] is True
        async with raw.post(f"{base}/sendPhoto", json={"chat_id": CITIZEN}) as response:
            assert response.status == 400
    assert [m["text"] if "text" in m else m["photo"] for m in fake.sent] == [
        "form",
        "https://p.example/a.jpg",
    ]
