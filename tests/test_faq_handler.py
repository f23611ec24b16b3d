"""The FAQ through the dispatcher: answers with sources, working suggestions, honest fallbacks."""

from __future__ import annotations

import datetime
import re

from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.messages import Reply
from bot.runtime import router_for
from faq.answers import Situation, answer_for
from faq.kb_model import KNOWN_FEATURES
from handlers import faq, texts
from handlers.faq.replies import answer_reply
from handlers.texts import CORE_TEXTS
from storage import unanswered
from tests.support import Chat, joined, payloads

SOURCE_LABEL = re.compile(r"^Nguồn: (.+), kiểm tra (\d{2})/(\d{2})/(\d{4})$")
# What this build offers unconfigured: reminders are "coming soon", volunteers need a group.
ENABLED = frozenset({"signup"})


def source_blocks(reply: Reply) -> list[tuple[str, datetime.date, str]]:
    """(publisher, check date, link) of each source shown under an answer."""
    blocks = []
    for link in reply.links:
        match = SOURCE_LABEL.match(link.label)
        assert match, link.label
        day = datetime.date(int(match[4]), int(match[3]), int(match[2]))
        blocks.append((match[1], day, link.url))
    return blocks


async def test_answer_carries_its_source_and_next_steps(chat: Chat, app: AppContext) -> None:
    replies = await chat.say("quen mat khau vneid thi lam sao")
    assert len(replies) == 1
    entry = app.knowledge.get("vneid-forgot-password")
    assert entry is not None and replies[0].text.startswith(entry.answer)
    [(publisher, checked, link)] = source_blocks(replies[0])
    assert (publisher, checked, link) == (
        "Báo Dân trí",
        entry.citations[0].checked,
        entry.citations[0].url,
    )
    assert texts.PAYLOAD_MENU in payloads(replies)
    assert f"topics:{entry.topic}" in payloads(replies)


def test_sources_are_shown_most_authoritative_first(app: AppContext) -> None:
    entry = app.knowledge.get("campaign-lead")  # written: a department, then an aggregator
    assert entry is not None
    shown = source_blocks(
        answer_reply(entry, Situation.on(datetime.date(2026, 11, 28), features=ENABLED))
    )
    assert [p for p, _, _ in shown] == ["Sở Nội vụ tỉnh Quảng Ngãi", "Nhân Sự (nhansu.vn)"]
    many = max(app.knowledge.entries, key=lambda e: len(e.sources))
    assert len(many.sources) > 2
    reply = answer_reply(many, Situation.on(datetime.date(2026, 11, 28), features=ENABLED))
    assert [link for _, _, link in source_blocks(reply)] == [s.url for s in many.citations[:2]]


def test_buttons_follow_the_features_that_are_on(app: AppContext) -> None:
    entry = app.knowledge.get("community-help")  # offers the volunteer chat when it exists
    assert entry is not None and entry.action == "volunteer"
    day = datetime.date(2026, 11, 28)
    on = answer_reply(entry, Situation.on(day, features=KNOWN_FEATURES))
    off = answer_reply(entry, Situation.on(day, features=ENABLED))
    assert texts.PAYLOAD_VOLUNTEER in payloads([on])
    assert texts.PAYLOAD_VOLUNTEER not in payloads([off])
    assert "tình nguyện viên" in on.text and "tình nguyện viên" not in off.text


async def test_an_entry_about_a_feature_that_is_off_answers_honestly(chat: Chat) -> None:
    assert "volunteers" not in chat.dispatcher.app.available_features  # no group configured
    replies = await chat.say("Câu hỏi của tôi bot không trả lời được thì sao?")
    assert "chưa kết nối được với tình nguyện viên" in joined(replies)
    assert texts.PAYLOAD_VOLUNTEER not in payloads(replies)


async def test_reminders_answer_follows_the_date(chat: Chat, app: AppContext) -> None:
    # The test clock starts on 28/9/2026: the 2026 campaign is ahead.
    entry = app.knowledge.get("bot-reminders")
    assert entry is not None
    situation = Situation.on(datetime.date(2026, 9, 28), features=KNOWN_FEATURES)
    answer = answer_for(entry, situation)
    assert answer is not None and "10/10/2026" in answer.text
    reply = answer_reply(entry, situation)
    assert reply.text.startswith(answer.text)


async def test_suggestion_buttons_lead_to_answers(chat: Chat, app: AppContext) -> None:
    replies = await chat.say("định danh")
    suggestions = [p for p in payloads(replies) if p.startswith("faq:")]
    assert len(suggestions) == 3
    entry = app.knowledge.get(suggestions[0].removeprefix("faq:"))
    assert entry is not None
    answer = await chat.press(suggestions[0])
    rendered = answer_for(entry, Situation.on(datetime.date(2026, 9, 28), None, ENABLED))
    assert rendered is not None and rendered.text in joined(answer)
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
    rendered = answer_for(entry, Situation.on(datetime.date(2026, 9, 28), None, ENABLED))
    assert rendered is not None and rendered.text in joined(await chat.say("2"))


async def test_out_of_scope_falls_back_honestly(chat: Chat, app: AppContext) -> None:
    replies = await chat.say("giá vàng hôm nay bao nhiêu")
    assert "chưa có thông tin" in joined(replies)
    # No volunteer desk in this deployment: the fallback does not offer one.
    assert texts.PAYLOAD_VOLUNTEER not in payloads(replies)
    app.available_features = frozenset({"volunteers"})
    replies = await chat.say("giá xăng hôm nay bao nhiêu")
    assert texts.PAYLOAD_VOLUNTEER in payloads(replies)
    assert texts.PAYLOAD_TOPICS in payloads(replies)
    async with app.open_db() as db:
        stored = await unanswered.list_since(db)
    assert [row.action for row in stored] == ["fallback", "fallback"]


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


async def test_a_deployment_without_signup_hides_and_rewords(app: AppContext) -> None:
    app.available_features = frozenset()  # e.g. no help sessions configured
    chat = Chat(Dispatcher(app, router_for([faq.feature]), CORE_TEXTS))
    hidden = {e.id for e in app.knowledge.entries if e.feature and e.unavailable is None}
    reworded = {e.id for e in app.knowledge.entries if e.feature and e.unavailable}
    assert "bot-cancel-signup" in hidden and "bot-signup" in reworded
    seen: set[str] = set()
    for topic in {e.topic for e in app.knowledge.entries}:
        page = 0
        while True:
            replies = await chat.press(f"topics:{topic}:{page}")
            seen |= {p.removeprefix("faq:") for p in payloads(replies) if p.startswith("faq:")}
            if f"topics:{topic}:{page + 1}" not in payloads(replies):
                break
            page += 1
    assert reworded <= seen
    assert not hidden & seen
    assert "chưa có thông tin" in joined(await chat.press("faq:bot-cancel-signup"))
    replies = await chat.say("đăng ký buổi hỗ trợ trực tiếp thế nào")
    assert "chưa nhận đăng ký buổi hỗ trợ" in joined(replies)
    assert texts.PAYLOAD_SIGNUP not in payloads(replies)
