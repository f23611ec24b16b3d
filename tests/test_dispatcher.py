"""The dispatcher: dedupe, ordering, error boundary, restarts, and awkward input."""

from __future__ import annotations

import asyncio

import pytest

from bot.clock import ManualClock
from bot.config import Settings
from bot.context import AppContext, Knowledge
from bot.dispatcher import MAX_TEXT_CHARS, Dispatcher
from bot.messages import Incoming, Reply
from bot.routing import Router
from bot.runtime import prepare
from bot.turn import Turn
from handlers import texts
from handlers.texts import CORE_TEXTS
from tests.support import Chat, joined, payloads


class Recorder:
    """A router whose fallback records the order and the overlap of calls."""

    def __init__(self, delay: float = 0.01) -> None:
        self.delay = delay
        self.seen: list[tuple[str, str]] = []
        self.active: dict[str, int] = {}
        self.max_active_per_chat = 0
        self.max_active_total = 0
        self.fail_on: set[str] = set()

    async def handle(self, turn: Turn) -> list[Reply]:
        chat = turn.incoming.chat_id
        self.active[chat] = self.active.get(chat, 0) + 1
        self.max_active_per_chat = max(self.max_active_per_chat, self.active[chat])
        self.max_active_total = max(self.max_active_total, sum(self.active.values()))
        try:
            await asyncio.sleep(self.delay)
            if turn.text in self.fail_on:
                raise RuntimeError("boom")
            count = int(turn.state.data.get("count", 0)) + 1
            turn.state.data["count"] = count
            self.seen.append((chat, turn.text))
            return [Reply(f"{turn.text} #{count}")]
        finally:
            self.active[chat] -= 1

    def router(self) -> Router:
        router = Router()
        router.fallback(self.handle)
        router.unsupported(self.handle)
        return router


def incoming(chat: str, text: str, message_id: str | None = None) -> Incoming:
    return Incoming(channel="fake", chat_id=chat, user_id=chat, text=text, message_id=message_id)


async def test_duplicate_update_is_handled_once(app: AppContext) -> None:
    recorder = Recorder(delay=0)
    dispatcher = Dispatcher(app, recorder.router(), CORE_TEXTS)
    first = await dispatcher.handle(incoming("a", "hello", "u-1"))
    again = await dispatcher.handle(incoming("a", "hello", "u-1"))
    assert [r.text for r in first] == ["hello #1"]
    assert again == []
    assert recorder.seen == [("a", "hello")]


async def test_concurrent_duplicates_are_handled_once(app: AppContext) -> None:
    recorder = Recorder(delay=0.01)
    dispatcher = Dispatcher(app, recorder.router(), CORE_TEXTS)
    same = incoming("a", "x", "same")
    results = await asyncio.gather(*(dispatcher.handle(same) for _ in range(5)))
    assert sum(1 for r in results if r) == 1
    assert len(recorder.seen) == 1


async def test_one_at_a_time_per_conversation_in_arrival_order(app: AppContext) -> None:
    recorder = Recorder(delay=0.01)
    dispatcher = Dispatcher(app, recorder.router(), CORE_TEXTS)
    messages = [incoming(chat, f"{chat}{i}", f"{chat}-{i}") for i in range(6) for chat in "ab"]
    results = await asyncio.gather(*(dispatcher.handle(m) for m in messages))
    assert recorder.max_active_per_chat == 1
    if app.engine.dialect.name == "postgresql":
        # SQLite has one writer, so there turns of different chats queue at the database.
        assert recorder.max_active_total >= 2
    for chat in "ab":
        assert [text for c, text in recorder.seen if c == chat] == [f"{chat}{i}" for i in range(6)]
    # the stored counter saw every message: no lost updates to the state
    counts = sorted(int(r[0].text.split("#")[1]) for r in results if r[0].text.startswith("a"))
    assert counts == [1, 2, 3, 4, 5, 6]


async def test_error_boundary_apologises_and_next_message_works(
    app: AppContext, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(delay=0)
    recorder.fail_on = {"explode"}
    dispatcher = Dispatcher(app, recorder.router(), CORE_TEXTS)
    await dispatcher.handle(incoming("a", "one"))
    failed = await dispatcher.handle(incoming("a", "explode"))
    assert failed == [texts.error_apology()]
    assert "handler failed" in caplog.text and "RuntimeError" in caplog.text
    after = await dispatcher.handle(incoming("a", "two"))
    # the failed turn rolled back: the counter continues from the last good message
    assert [r.text for r in after] == ["two #2"]


async def test_state_survives_a_restart(
    settings: Settings, clock: ManualClock, knowledge: Knowledge
) -> None:
    recorder = Recorder(delay=0)
    app, _ = await prepare(settings, clock, knowledge)
    await Dispatcher(app, recorder.router(), CORE_TEXTS).handle(incoming("a", "before"))
    await app.close()
    app, _ = await prepare(settings, clock, knowledge)
    try:
        replies = await Dispatcher(app, recorder.router(), CORE_TEXTS).handle(
            incoming("a", "after")
        )
    finally:
        await app.close()
    assert [r.text for r in replies] == ["after #2"]


async def test_start_shows_main_menu(chat: Chat) -> None:
    replies = await chat.say("/start")
    assert texts.PAYLOAD_SIGNUP in payloads(replies)
    assert texts.PAYLOAD_VOLUNTEER in payloads(replies)


async def test_typing_a_number_presses_that_button(dispatcher: Dispatcher) -> None:
    chat = Chat(dispatcher, numbered_buttons=True)
    menu = await chat.say("/start")
    index = payloads(menu).index(texts.PAYLOAD_TOPICS) + 1
    replies = await chat.say(str(index))
    assert any(p.startswith("topics:") for p in payloads(replies))
    assert "chủ đề" in joined(replies)
    out_of_range = await chat.say("99")  # just text, no button pressed
    assert not any(p.startswith("topics:") and p != "topics:list" for p in payloads(out_of_range))


async def test_numbers_are_text_where_buttons_are_real(chat: Chat) -> None:
    await chat.say("/start")
    replies = await chat.say("2")
    assert not any(p.startswith("topics:") and p != "topics:list" for p in payloads(replies))


@pytest.mark.parametrize("text", ["", "   ", "\n"])
async def test_empty_message_gets_a_clear_answer(chat: Chat, text: str) -> None:
    replies = await chat.say(text)
    assert replies == [texts.empty_message()]


async def test_very_long_message_asks_to_shorten(chat: Chat) -> None:
    replies = await chat.say("vneid " * 1000)
    assert replies == [texts.message_too_long(MAX_TEXT_CHARS)]


async def test_sticker_gets_a_polite_reply(chat: Chat) -> None:
    replies = await chat.send_kind("sticker")
    assert replies == [texts.unsupported_message()]


async def test_unknown_button_payload_is_harmless(chat: Chat) -> None:
    replies = await chat.press("nonexistent:zzz")
    assert replies and replies[0].text


async def test_a_feature_this_deployment_lacks_says_so_honestly(chat: Chat) -> None:
    replies = await chat.press(texts.PAYLOAD_VOLUNTEER)  # no volunteer group configured
    assert "chưa kết nối được với tình nguyện viên" in joined(replies)
    assert texts.PAYLOAD_MENU in payloads(replies)


async def test_a_failed_update_is_not_retried_on_redelivery(app: AppContext) -> None:
    recorder = Recorder(delay=0)
    recorder.fail_on = {"explode"}
    dispatcher = Dispatcher(app, recorder.router(), CORE_TEXTS)
    assert await dispatcher.handle(incoming("a", "explode", "u-9")) == [texts.error_apology()]
    assert await dispatcher.handle(incoming("a", "explode", "u-9")) == []
