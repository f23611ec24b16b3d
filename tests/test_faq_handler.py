"""The FAQ through the dispatcher: answers with sources, working suggestions, honest fallbacks."""

from __future__ import annotations

from bot.context import AppContext
from bot.dispatcher import Dispatcher
from handlers import texts
from storage import unanswered
from tests.support import Chat, joined, payloads


async def test_answer_carries_its_source_and_next_steps(chat: Chat) -> None:
    replies = await chat.say("quen mat khau vneid thi lam sao")
    assert len(replies) == 1
    assert "Nguồn: http" in replies[0].text
    assert texts.PAYLOAD_VOLUNTEER in payloads(replies)
    assert texts.PAYLOAD_MENU in payloads(replies)


async def test_suggestion_buttons_lead_to_answers(chat: Chat, app: AppContext) -> None:
    replies = await chat.say("định danh")
    suggestions = [p for p in payloads(replies) if p.startswith("faq:")]
    assert len(suggestions) == 3
    entry = app.knowledge.get(suggestions[0].removeprefix("faq:"))
    assert entry is not None
    answer = await chat.press(suggestions[0])
    assert entry.answer.strip() in joined(answer)
    async with app.open_db() as db:
        stored = await unanswered.list_since(db)
    assert [(row.text, row.action) for row in stored] == [("định danh", "suggest")]


async def test_typing_the_number_of_a_suggestion_works(
    dispatcher: Dispatcher, app: AppContext
) -> None:
    chat = Chat(dispatcher, numbered_buttons=True)
    replies = await chat.say("định danh")
    second = payloads(replies)[1]
    entry = app.knowledge.get(second.removeprefix("faq:"))
    assert entry is not None
    assert entry.answer.strip() in joined(await chat.say("2"))


async def test_out_of_scope_falls_back_honestly(chat: Chat, app: AppContext) -> None:
    replies = await chat.say("giá vàng hôm nay bao nhiêu")
    assert "chưa có thông tin" in joined(replies)
    assert texts.PAYLOAD_VOLUNTEER in payloads(replies)
    assert texts.PAYLOAD_TOPICS in payloads(replies)
    async with app.open_db() as db:
        stored = await unanswered.list_since(db)
    assert [row.action for row in stored] == ["fallback"]


async def test_smalltalk_is_not_an_faq_guess(chat: Chat, app: AppContext) -> None:
    assert "Xin chào" in joined(await chat.say("chào bạn"))
    assert "Không có gì" in joined(await chat.say("cảm ơn nhiều"))
    async with app.open_db() as db:
        assert list(await unanswered.list_since(db)) == []


async def test_browse_topics_and_pages(chat: Chat, app: AppContext) -> None:
    topics = await chat.press(texts.PAYLOAD_TOPICS)
    topic_payloads = [p for p in payloads(topics) if p.startswith("topics:")]
    assert len(topic_payloads) == len(app.knowledge.topics)
    vneid = next(t for t in app.knowledge.topics if "VNeID" in t.title)
    page = await chat.press(f"topics:{vneid.id}")
    assert f"topics:{vneid.id}:1" in payloads(page)  # more than one page of VNeID questions
    seen = {p for p in payloads(page) if p.startswith("faq:")}
    page2 = await chat.press(f"topics:{vneid.id}:1")
    seen2 = {p for p in payloads(page2) if p.startswith("faq:")}
    assert seen and seen2 and not seen & seen2


async def test_stale_faq_button_falls_back(chat: Chat) -> None:
    replies = await chat.press("faq:no-such-entry")
    assert "chưa có thông tin" in joined(replies)


async def test_numbers_typed_in_questions_are_not_stored(chat: Chat, app: AppContext) -> None:
    await chat.say("số cccd của tôi 052123456789 sđt 0912 345 678 thì sao")
    async with app.open_db() as db:
        [row] = await unanswered.list_since(db)
    assert "052123456789" not in row.text and "345 678" not in row.text
    assert row.text.count("[số đã ẩn]") == 2
