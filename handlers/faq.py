"""Questions answered from the knowledge base, topic browsing, and honest fallbacks."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import partial

from bot.clock import VN_TZ, to_local
from bot.messages import Button, Reply
from bot.privacy import redact_numbers
from bot.routing import Router
from bot.turn import Turn
from faq.answers import Answer, Situation, answer_for, visible_entries
from faq.kb import FaqEntry
from faq.matcher import MatchResult
from handlers import texts
from storage import unanswered

TOPIC_PAGE_SIZE = 8
MAX_LABEL_CHARS = 60
MAX_SOURCES_SHOWN = 2

# Features this build really offers: reminders and volunteers still answer "coming soon"
# (handlers/registry.py). Once features declare themselves, the core passes its list to
# `register` and answers follow it.
ENABLED_FEATURES = frozenset({"signup"})

# Feature buttons an FAQ entry can offer after its answer.
ACTION_BUTTONS = {
    "signup": Button(texts.BUTTON_SIGNUP, texts.PAYLOAD_SIGNUP),
    "reminders": Button(texts.BUTTON_REMINDERS, texts.PAYLOAD_REMINDERS),
    "volunteer": texts.VOLUNTEER_BUTTON,
    "my_data": Button(texts.BUTTON_MY_DATA, texts.PAYLOAD_MY_DATA),
    "topics": texts.TOPICS_BUTTON,
}


def label(text: str) -> str:
    """Shorten a question to fit on a button."""
    return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1].rstrip() + "…"


def situation_now(
    campaign_year: int | None = None, features: Collection[str] = ENABLED_FEATURES
) -> Situation:
    """Today in Vietnam, for callers without a turn (the `ask` command)."""
    return Situation.on(datetime.now(VN_TZ).date(), campaign_year, features)


def situation_of(turn: Turn, features: Collection[str] = ENABLED_FEATURES) -> Situation:
    """The day of this turn in Vietnam, the configured campaign year, the features on."""
    return Situation.on(to_local(turn.now).date(), turn.app.settings.campaign_year, features)


def source_lines(answer: Answer) -> str:
    """'Nguồn: <publisher>, kiểm tra dd/mm/yyyy' and the link, most authoritative first."""
    lines: list[str] = []
    for source in answer.sources[:MAX_SOURCES_SHOWN]:
        lines.append(f"Nguồn: {source.publisher}, kiểm tra {source.checked:%d/%m/%Y}")
        lines.append(source.url)
    if not lines:  # an entry built without the publishers table
        lines = [f"Nguồn: {url}" for url in answer.entry.sources[:MAX_SOURCES_SHOWN]]
    return "\n".join(lines)


def answer_reply(entry: FaqEntry, situation: Situation | None = None) -> Reply:
    """The answer as true in ``situation`` (default: today), its source, what to do next."""
    situation = situation or situation_now()
    answer = answer_for(entry, situation)
    if answer is None:  # hidden in this deployment (its feature is off)
        return fallback_reply()
    text = f"{answer.text}\n\n{source_lines(answer)}"
    buttons: list[Button] = []
    if answer.action in ACTION_BUTTONS:
        buttons.append(ACTION_BUTTONS[answer.action])
    buttons.append(Button("📚 Câu hỏi cùng chủ đề", f"topics:{entry.topic}"))
    if answer.action != "volunteer" and "volunteers" in situation.features:
        buttons.append(texts.VOLUNTEER_BUTTON)
    buttons.append(texts.MENU_BUTTON)
    return Reply(text, tuple(buttons))


def suggest_reply(result: MatchResult) -> Reply:
    buttons = [Button(label(s.entry.questions[0]), f"faq:{s.entry.id}") for s in result.suggestions]
    buttons += [texts.TOPICS_BUTTON, texts.VOLUNTEER_BUTTON]
    return Reply(
        "Tôi chưa chắc đã hiểu đúng ý bạn. Có phải bạn muốn hỏi một trong các câu sau không ạ?",
        tuple(buttons),
    )


def fallback_reply() -> Reply:
    return Reply(
        "Xin lỗi bạn, câu này tôi chưa có thông tin chắc chắn để trả lời. "
        "Bạn có thể xem các chủ đề tôi hỗ trợ, hoặc nhờ tình nguyện viên giúp ạ.",
        (texts.TOPICS_BUTTON, texts.VOLUNTEER_BUTTON, texts.MENU_BUTTON),
    )


def smalltalk_reply(kind: str | None) -> Reply:
    if kind == "thanks":
        return Reply(
            "Không có gì ạ! Bạn cần hỏi thêm gì cứ nhắn cho tôi nhé. 😊",
            (texts.TOPICS_BUTTON, texts.MENU_BUTTON),
        )
    if kind == "bye":
        return Reply("Chúc bạn một ngày tốt lành! Khi cần, bạn cứ quay lại hỏi tôi nhé.")
    if kind == "help":
        return texts.help_text()
    return texts.welcome()


def reply_for(result: MatchResult, situation: Situation | None = None) -> Reply:
    """The reply a citizen sees for a match result (also used by `python -m bot ask`)."""
    if result.action == "answer" and result.entry is not None:
        return answer_reply(result.entry, situation)
    if result.action == "smalltalk":
        return smalltalk_reply(result.smalltalk)
    if result.action == "suggest" and result.suggestions:
        return suggest_reply(result)
    return fallback_reply()


async def answer_question(turn: Turn, features: Collection[str] = ENABLED_FEATURES) -> list[Reply]:
    """Free text: answer, suggest, fall back or chat, and log what was not answered."""
    situation = situation_of(turn, features)
    result = turn.app.matcher.match(turn.text, situation)
    if result.action in ("suggest", "fallback"):
        await _record_unanswered(turn, result)
    return [reply_for(result, situation)]


async def _record_unanswered(turn: Turn, result: MatchResult) -> None:
    best = result.suggestions[0] if result.suggestions else None
    await unanswered.record(
        turn.db,
        channel=turn.incoming.channel,
        text=redact_numbers(turn.text),
        best_faq_id=best.entry.id if best else None,
        best_score=result.score,
        action=result.action,
        now=turn.now,
    )


async def faq_button(turn: Turn, features: Collection[str] = ENABLED_FEATURES) -> list[Reply]:
    """`faq:<id>`: a suggestion or a topic question was tapped."""
    faq_id = (turn.payload or "").partition(":")[2]
    entry = turn.app.knowledge.get(faq_id)
    situation = situation_of(turn, features)
    return [answer_reply(entry, situation)] if entry is not None else [fallback_reply()]


async def topics_button(turn: Turn, features: Collection[str] = ENABLED_FEATURES) -> list[Reply]:
    """`topics:list`, `topics:<topic>` or `topics:<topic>:<page>`."""
    parts = (turn.payload or "").split(":")
    knowledge = turn.app.knowledge
    if len(parts) < 2 or parts[1] == "list":
        topics = tuple(Button(t.title, f"topics:{t.id}") for t in knowledge.topics)
        return [Reply("Bạn muốn tìm hiểu chủ đề nào ạ?", (*topics, texts.MENU_BUTTON))]
    topic_id = parts[1]
    page = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0
    entries = visible_entries(knowledge, situation_of(turn, features), topic_id)
    topic = next((t for t in knowledge.topics if t.id == topic_id), None)
    if topic is None or not entries:
        return [Reply("Chủ đề này hiện chưa có câu hỏi nào ạ.", (texts.TOPICS_BUTTON,))]
    start = page * TOPIC_PAGE_SIZE
    shown = entries[start : start + TOPIC_PAGE_SIZE]
    buttons: list[Button] = [Button(label(e.questions[0]), f"faq:{e.id}") for e in shown]
    if start + TOPIC_PAGE_SIZE < len(entries):
        buttons.append(Button("➡️ Xem thêm", f"topics:{topic_id}:{page + 1}"))
    buttons += [Button("📚 Chủ đề khác", texts.PAYLOAD_TOPICS), texts.MENU_BUTTON]
    return [Reply(f"{topic.title}: bạn chọn câu hỏi muốn xem nhé.", tuple(buttons))]


def register(router: Router, features: Collection[str] = ENABLED_FEATURES) -> None:
    """FAQ routes; answers offer only the bot ``features`` this deployment has."""
    enabled = frozenset(features)
    router.payload("faq", partial(faq_button, features=enabled))
    router.payload("topics", partial(topics_button, features=enabled))
    router.command("chude", texts.PAYLOAD_TOPICS, "Xem câu hỏi theo chủ đề")
    router.fallback(partial(answer_question, features=enabled))
