"""Telegram end to end: the real python-telegram-bot stack against the fake Bot API server."""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from bot.channels.telegram import TelegramChannel, TelegramTuning
from bot.channels.telegram_delivery import RetryPolicy
from bot.channels.telegram_intake import SECRET_HEADER
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import Knowledge
from bot.messages import Button, Reply
from bot.routing import Router
from bot.runtime import Runtime, running
from bot.turn import Turn
from handlers import texts
from storage.conversations import is_blocked
from tests import fake_telegram as ft
from tests.fake_telegram import FakeTelegram

ALICE = 710000001
BOB = 720000002
GROUP = -100123
SECRET = "s3cret_Token-123"
WEBHOOK_URL = "https://bot.example.org/telegram/webhook"
# Adapter behaviour that does not depend on the database runs on SQLite only (faster);
# whatever touches storage (dedupe, blocked users, button lookup) runs on both.
SQLITE_ONLY = pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
TUNING = TelegramTuning(
    read_timeout=0.5,
    poll_timeout=5,
    retry=RetryPolicy(attempts=3, backoff_seconds=0.01),
    max_webhook_body_bytes=8192,
    shutdown_grace_seconds=5,
    typing_after_seconds=0.1,
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def telegram_settings(settings: Settings, fake: FakeTelegram, **changes: Any) -> Settings:
    """The test settings plus Telegram pointed at the fake server; no per-chat spacing."""
    update: dict[str, Any] = {
        "telegram_bot_token": SecretStr(fake.token),
        "telegram_api_base_url": fake.base_url,
        "telegram_chat_rate_per_second": 0,
        **changes,
    }
    return settings.model_copy(update=update)


def add_test_routes(router: Router) -> None:
    """Handlers that echo user text, answer at length or offer a long payload."""

    async def echo(turn: Turn) -> list[Reply]:
        return [Reply(f"Bạn vừa gửi: {turn.text}")]

    async def long_answer(turn: Turn) -> list[Reply]:
        paragraphs = [f"Đoạn {i}: " + "Chuyển đổi số cho mọi người dân. " * 12 for i in range(40)]
        return [Reply("\n\n".join(paragraphs), (texts.MENU_BUTTON,))]

    async def offer_long_payload(turn: Turn) -> list[Reply]:
        return [Reply("Chọn nhé", (Button("Chọn", "longtest:" + "x" * 80),))]

    async def long_payload(turn: Turn) -> list[Reply]:
        return [Reply(f"Đã nhận {len(turn.payload or '')} ký tự")]

    async def slow_answer(turn: Turn) -> list[Reply]:
        await asyncio.sleep(0.3)
        return [Reply("Xong rồi ạ")]

    router.command("cham", slow_answer)
    router.command("echo", echo)
    router.command("dai", long_answer)
    router.command("nutdai", offer_long_payload)
    router.payload("longtest", long_payload)
    router.deep_link("chude", texts.PAYLOAD_TOPICS)


@pytest.fixture
async def bot(
    settings: Settings, fake: FakeTelegram, clock: ManualClock, knowledge: Knowledge
) -> AsyncIterator[Runtime]:
    """The whole bot in polling mode."""
    async with running(
        telegram_settings(settings, fake),
        clock,
        serve_web=False,
        telegram_tuning=TUNING,
        knowledge=knowledge,
    ) as runtime:
        add_test_routes(runtime.dispatcher.router)
        yield runtime


def visible(message: dict[str, Any]) -> str:
    return html.unescape(str(message["text"]))


def buttons_of(message: dict[str, Any]) -> list[tuple[str, str]]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b["callback_data"]) for row in rows for b in row]


def channel_of(runtime: Runtime) -> TelegramChannel:
    channel = runtime.app.channels["telegram"]
    assert isinstance(channel, TelegramChannel)
    return channel


async def test_start_registers_vietnamese_commands_and_greets(
    bot: Runtime, fake: FakeTelegram
) -> None:
    [registered] = fake.calls_of("setMyCommands")
    names = [c["command"] for c in registered["commands"]]
    assert names == [name for name, _ in bot.dispatcher.router.described_commands()]
    assert {"command": "start", "description": "Bắt đầu, xem menu chính"} in registered["commands"]
    fake.message(ALICE, "/start")
    [greeting] = await fake.wait_messages(ALICE, 1)
    assert visible(greeting) == texts.welcome().text
    assert greeting["parse_mode"] == "HTML"
    assert [label for label, _ in buttons_of(greeting)] == [
        b.label for b in texts.main_menu_buttons()
    ]


@SQLITE_ONLY
async def test_typing_shown_while_a_slow_answer_is_prepared(
    bot: Runtime, fake: FakeTelegram
) -> None:
    fake.message(ALICE, "/cham")
    [reply] = await fake.wait_messages(ALICE, 1)
    assert visible(reply) == "Xong rồi ạ"
    methods = [c.method for c in fake.calls if str(c.params.get("chat_id")) == str(ALICE)]
    assert methods.index("sendChatAction") < methods.index("sendMessage")
    assert fake.calls_of("sendChatAction", ALICE)[0]["action"] == "typing"


@SQLITE_ONLY
async def test_deep_link_acts_like_the_button(bot: Runtime, fake: FakeTelegram) -> None:
    fake.message(ALICE, "/start chude")
    [reply] = await fake.wait_messages(ALICE, 1)
    assert visible(reply) == "Bạn muốn tìm hiểu chủ đề nào ạ?"
    assert all(data.startswith(("topics:", "menu:")) for _, data in buttons_of(reply))


async def test_question_answered_then_buttons_pressed(bot: Runtime, fake: FakeTelegram) -> None:
    entry = next(
        e for e in bot.app.knowledge.entries if bot.app.matcher.match(e.questions[0]).entry == e
    )
    fake.message(ALICE, entry.questions[0])
    [answer] = await fake.wait_messages(ALICE, 1)
    assert entry.answer.strip()[:40] in visible(answer)
    topic_data = f"topics:{entry.topic}"
    assert topic_data in [data for _, data in buttons_of(answer)]

    fake.callback(ALICE, topic_data, message_id=answer["message_id"])
    [_, topic_list] = await fake.wait_messages(ALICE, 2)
    assert fake.calls_of("answerCallbackQuery")
    [removed] = fake.calls_of("editMessageReplyMarkup", ALICE)
    assert int(removed["message_id"]) == answer["message_id"] and not removed.get("reply_markup")

    _, faq_data = next(b for b in buttons_of(topic_list) if b[1].startswith("faq:"))
    fake.callback(ALICE, faq_data, message_id=topic_list["message_id"])
    [*_, chosen] = await fake.wait_messages(ALICE, 3)
    picked = bot.app.knowledge.get(faq_data.partition(":")[2])
    assert picked is not None and picked.answer.strip()[:40] in visible(chosen)


async def test_double_tap_is_handled_once(bot: Runtime, fake: FakeTelegram) -> None:
    fake.message(ALICE, "/start")
    [menu] = await fake.wait_messages(ALICE, 1)
    fake.callback(ALICE, texts.PAYLOAD_TOPICS, message_id=menu["message_id"])
    fake.callback(ALICE, texts.PAYLOAD_TOPICS, message_id=menu["message_id"])
    fake.message(ALICE, "/echo xong")  # handled after both taps: same chat, in order
    messages = await fake.wait_messages(ALICE, 3)
    assert visible(messages[-1]) == "Bạn vừa gửi: /echo xong"
    assert [visible(m) for m in messages[1:-1]] == ["Bạn muốn tìm hiểu chủ đề nào ạ?"]
    assert len(fake.calls_of("answerCallbackQuery")) == 2  # every query is answered


async def test_long_payload_goes_through_a_short_token(bot: Runtime, fake: FakeTelegram) -> None:
    fake.message(ALICE, "/nutdai")
    [offer] = await fake.wait_messages(ALICE, 1)
    [(_, data)] = buttons_of(offer)
    assert len(data.encode()) <= 64 and data.startswith("#")
    fake.callback(ALICE, data, message_id=offer["message_id"])
    [_, reply] = await fake.wait_messages(ALICE, 2)
    assert visible(reply) == f"Đã nhận {len('longtest:' + 'x' * 80)} ký tự"


@SQLITE_ONLY
async def test_stale_token_gets_the_core_fallback(bot: Runtime, fake: FakeTelegram) -> None:
    fake.callback(ALICE, "#" + "0" * 40, message_id=99)
    [reply] = await fake.wait_messages(ALICE, 1)
    assert "chưa có thông tin" in visible(reply) or "chưa chắc" in visible(reply)


@SQLITE_ONLY
async def test_sticker_and_photo_get_the_polite_reply(bot: Runtime, fake: FakeTelegram) -> None:
    fake.sticker(ALICE)
    fake.photo(ALICE)
    replies = await fake.wait_messages(ALICE, 2)
    assert [visible(m) for m in replies] == [texts.unsupported_message().text] * 2


@SQLITE_ONLY
async def test_group_messages_are_ignored(bot: Runtime, fake: FakeTelegram) -> None:
    fake.message(GROUP, "/start", chat_type="supergroup", user_id=ALICE)
    fake.message(GROUP, "xin chào", chat_type="group", user_id=BOB)
    fake.message(ALICE, "/echo sau nhóm")
    await fake.wait_messages(ALICE, 1)
    await fake.wait_for(lambda: not channel_of(bot).in_flight)
    assert not fake.calls_of("sendMessage", GROUP) and not fake.calls_of("sendChatAction", GROUP)


@SQLITE_ONLY
async def test_user_html_is_escaped(bot: Runtime, fake: FakeTelegram) -> None:
    typed = "/echo <script>alert(1)</script> a < b & c <b>đậm</b>"
    fake.message(ALICE, typed)
    [reply] = await fake.wait_messages(ALICE, 1)
    assert "<script>" not in reply["text"] and "&lt;b&gt;" in reply["text"]
    assert visible(reply) == f"Bạn vừa gửi: {typed}"


@SQLITE_ONLY
async def test_long_answer_is_split_at_paragraphs(bot: Runtime, fake: FakeTelegram) -> None:
    fake.message(ALICE, "/dai")
    await fake.wait_for(lambda: len(fake.calls_of("sendMessage", ALICE)) >= 3)
    await fake.wait_for(lambda: not channel_of(bot).in_flight)
    parts = fake.messages_to(ALICE)
    assert len(parts) >= 3
    assert all(len(visible(p)) <= 4096 for p in parts)
    assert all(visible(p).startswith("Đoạn ") for p in parts)  # cut between paragraphs
    assert [bool(buttons_of(p)) for p in parts] == [False] * (len(parts) - 1) + [True]
    assert sum(visible(p).count("Đoạn ") for p in parts) == 40


@SQLITE_ONLY
async def test_429_is_waited_out_and_the_reply_arrives(bot: Runtime, fake: FakeTelegram) -> None:
    fake.fail("sendMessage", ft.too_many_requests(1), chat_id=ALICE)
    fake.message(ALICE, "/echo chờ chút")
    [reply] = await fake.wait_messages(ALICE, 1)
    assert visible(reply) == "Bạn vừa gửi: /echo chờ chút"
    assert len(fake.calls_of("sendMessage", ALICE)) == 2


@SQLITE_ONLY
async def test_5xx_and_timeouts_are_retried(bot: Runtime, fake: FakeTelegram) -> None:
    fake.fail("sendMessage", ft.server_error(), chat_id=ALICE)
    fake.fail("sendMessage", ft.slow(1.5), chat_id=ALICE)  # longer than read_timeout
    fake.message(ALICE, "/echo bền bỉ")
    [reply] = await fake.wait_messages(ALICE, 1)
    assert visible(reply) == "Bạn vừa gửi: /echo bền bỉ"


@SQLITE_ONLY
async def test_gives_up_loudly_without_blocking_other_chats(
    bot: Runtime, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("sendMessage", ft.server_error(), chat_id=ALICE, times=10)
    with caplog.at_level(logging.ERROR, logger="bot.channels.telegram_delivery"):
        fake.message(ALICE, "/echo mất")
        fake.message(BOB, "/echo còn")
        [reply] = await fake.wait_messages(BOB, 1)
        assert visible(reply) == "Bạn vừa gửi: /echo còn"
        await fake.wait_for(lambda: len(fake.calls_of("sendMessage", ALICE)) >= 3)
        await fake.wait_for(lambda: not channel_of(bot).in_flight)
    assert not fake.messages_to(ALICE)
    gave_up = [r.getMessage() for r in caplog.records if "GAVE UP" in r.getMessage()]
    assert gave_up and all(str(ALICE) not in line for line in gave_up)  # chat id masked


async def test_blocked_user_is_marked_unreachable_other_403_not(
    bot: Runtime, fake: FakeTelegram
) -> None:
    fake.fail("sendMessage", ft.blocked_by_user(), chat_id=ALICE)
    fake.fail("sendMessage", ft.forbidden(), chat_id=BOB)
    fake.message(ALICE, "/echo 1")
    fake.message(BOB, "/echo 2")
    await fake.wait_for(
        lambda: bool(fake.calls_of("sendMessage", ALICE) and fake.calls_of("sendMessage", BOB))
    )
    await fake.wait_for(lambda: not channel_of(bot).in_flight)
    async with bot.app.open_db() as db:
        assert await is_blocked(db, "telegram", str(ALICE))
        assert not await is_blocked(db, "telegram", str(BOB))
    assert len(fake.calls_of("sendMessage", ALICE)) == 1  # no retry after "blocked"


@SQLITE_ONLY
async def test_blocking_the_bot_is_recorded_from_my_chat_member(
    bot: Runtime, fake: FakeTelegram
) -> None:
    fake.message(ALICE, "/start")
    await fake.wait_messages(ALICE, 1)
    user = {"id": ALICE, "is_bot": False, "first_name": "Lan"}
    fake.add_update(
        {
            "my_chat_member": {
                "chat": {"id": ALICE, "type": "private", "first_name": "Lan"},
                "from": user,
                "date": 1,
                "old_chat_member": {"status": "member", "user": ft.BOT_USER},
                "new_chat_member": {"status": "kicked", "user": ft.BOT_USER, "until_date": 0},
            }
        }
    )
    fake.message(BOB, "/echo mốc")  # processed after the update above was taken
    await fake.wait_messages(BOB, 1)
    await fake.wait_for(lambda: not channel_of(bot).in_flight)
    async with bot.app.open_db() as db:
        assert await is_blocked(db, "telegram", str(ALICE))


@SQLITE_ONLY
async def test_outbox_send_raises_delivery_errors(bot: Runtime, fake: FakeTelegram) -> None:
    from bot.channels import base

    channel = channel_of(bot)
    reply = Reply("Nhắc lịch: 10/10", (texts.MENU_BUTTON,))
    cases: list[tuple[ft.Fault, type[base.DeliveryError]]] = [
        (ft.blocked_by_user(), base.RecipientUnreachable),
        (ft.forbidden(), base.PermanentFailure),
        (ft.server_error(), base.TemporaryFailure),
        (ft.slow(1.5), base.TemporaryFailure),
    ]
    for fault, expected in cases:
        fake.fail("sendMessage", fault, chat_id=BOB)
        with pytest.raises(expected):
            await channel.send(str(BOB), reply)
        assert not fake.messages_to(BOB)
    await channel.send(str(BOB), reply)
    assert [visible(m) for m in fake.messages_to(BOB)] == ["Nhắc lịch: 10/10"]
    # Last: a 429 pauses every send for `retry_after` seconds, and the outbox is told so.
    fake.fail("sendMessage", ft.too_many_requests(7), chat_id=BOB)
    with pytest.raises(base.RetryAfter) as raised:
        await channel.send(str(BOB), reply)
    assert raised.value.seconds == 7 and channel.delivery.gate.paused


async def test_outbox_messages_to_telegram_users_are_delivered(
    bot: Runtime, fake: FakeTelegram
) -> None:
    from storage import outbox

    async with bot.app.open_db() as db, db.begin():
        notice = outbox.Message("telegram", str(BOB), Reply("Thông báo từ ban tổ chức").to_dict())
        await outbox.enqueue(db, notice, bot.app.clock.now())
    bot.app.outbox_wakeup.set()
    [message] = await fake.wait_messages(BOB, 1)
    assert visible(message) == "Thông báo từ ban tổ chức"


async def test_redelivered_update_is_processed_once(
    settings: Settings, fake: FakeTelegram, clock: ManualClock, knowledge: Knowledge
) -> None:
    config = telegram_settings(settings, fake)
    fake.message(ALICE, "/echo lần một")
    async with running(config, clock, serve_web=False, telegram_tuning=TUNING, knowledge=knowledge):
        await fake.wait_messages(ALICE, 1)
    fake.rewind()  # Telegram sends the same update again (crash before confirming)
    fake.message(ALICE, "/start")
    async with running(config, clock, serve_web=False, telegram_tuning=TUNING, knowledge=knowledge):
        await fake.wait_messages(ALICE, 2)
    texts_seen = [visible(m) for m in fake.messages_to(ALICE)]
    assert len(texts_seen) == 2 and texts_seen[1] == texts.welcome().text


# --- webhook mode ----------------------------------------------------------------------


@pytest.fixture
async def hooked(
    settings: Settings, fake: FakeTelegram, clock: ManualClock, knowledge: Knowledge
) -> AsyncIterator[tuple[Runtime, str]]:
    """The whole bot in webhook mode, with the web server on a free port."""
    config = telegram_settings(
        settings,
        fake,
        telegram_webhook_url=WEBHOOK_URL,
        telegram_webhook_secret=SecretStr(SECRET),
    )
    async with running(config, clock, telegram_tuning=TUNING, knowledge=knowledge) as runtime:
        add_test_routes(runtime.dispatcher.router)
        yield runtime, f"http://127.0.0.1:{runtime.web_port}/telegram/webhook"


async def post(url: str, body: bytes | dict[str, Any], secret: str | None = SECRET) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    data = body if isinstance(body, bytes) else None
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            url, data=data, json=None if data is not None else body, headers=headers
        ) as response,
    ):
        return response.status


async def test_webhook_registered_and_updates_answered(
    hooked: tuple[Runtime, str], fake: FakeTelegram
) -> None:
    runtime, url = hooked
    assert fake.webhook["url"] == WEBHOOK_URL and fake.webhook["secret_token"] == SECRET
    assert not fake.calls_of("getUpdates")
    update_id = fake.message(ALICE, "/echo qua webhook")
    assert await post(url, fake.update_payload(update_id)) == 200
    [reply] = await fake.wait_messages(ALICE, 1)
    assert visible(reply) == "Bạn vừa gửi: /echo qua webhook"
    assert await post(url, fake.update_payload(update_id)) == 200  # Telegram retries
    await fake.wait_for(lambda: not channel_of(runtime).in_flight)
    assert len(fake.messages_to(ALICE)) == 1


@SQLITE_ONLY
async def test_webhook_secret_checked_before_anything(
    hooked: tuple[Runtime, str], fake: FakeTelegram
) -> None:
    runtime, url = hooked
    update_id = fake.message(ALICE, "/echo bí mật")
    payload = fake.update_payload(update_id)
    assert await post(url, payload, secret=None) == 401
    assert await post(url, payload, secret="wrong") == 403
    assert await post(url, payload, secret=SECRET + "x") == 403
    assert not channel_of(runtime).in_flight and not fake.calls_of("sendChatAction")
    # The update was not even claimed: the right secret gets it handled.
    assert await post(url, payload) == 200
    [reply] = await fake.wait_messages(ALICE, 1)
    assert visible(reply) == "Bạn vừa gửi: /echo bí mật"


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"message": {}}', b""])
@SQLITE_ONLY
async def test_webhook_malformed_body_is_400(
    hooked: tuple[Runtime, str], fake: FakeTelegram, body: bytes
) -> None:
    _, url = hooked
    assert await post(url, body) == 400
    assert not fake.calls_of("sendChatAction")


@SQLITE_ONLY
async def test_webhook_oversized_body_is_413(
    hooked: tuple[Runtime, str], fake: FakeTelegram
) -> None:
    _, url = hooked
    update_id = fake.message(ALICE, "x" * 9000)
    assert await post(url, fake.update_payload(update_id)) == 413
    assert not fake.calls_of("sendChatAction")
