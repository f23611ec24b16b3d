"""Questions answered from the knowledge base, topic browsing, and honest fallbacks."""

from __future__ import annotations

from bot.messages import Button, Reply
from bot.payloads import small_number
from bot.privacy import person_key, redact_personal
from bot.turn import Turn
from faq.kb import FaqEntry
from faq.matcher import MatchResult
from handlers import texts
from handlers.faq import texts as say
from storage import unanswered

TOPIC_PAGE_SIZE = 8
MAX_LABEL_CHARS = 60

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


def answer_reply(entry: FaqEntry) -> Reply:
    """The answer, its source, and what to do next."""
    sources = "\n".join(entry.sources[:2])
    text = f"{entry.answer.strip()}\n\n{say.SOURCE_PREFIX}: {sources}"
    buttons: list[Button] = []
    if entry.action in ACTION_BUTTONS:
        buttons.append(ACTION_BUTTONS[entry.action])
    buttons.append(Button(say.BUTTON_SAME_TOPIC, f"topics:{entry.topic}"))
    if entry.action != "volunteer":
        buttons.append(texts.VOLUNTEER_BUTTON)
    buttons.append(texts.MENU_BUTTON)
    return Reply(text, tuple(buttons))


def suggest_reply(result: MatchResult) -> Reply:
    return say.suggest(
        [Button(label(s.entry.questions[0]), f"faq:{s.entry.id}") for s in result.suggestions]
    )


def fallback_reply() -> Reply:
    return say.fallback()


def smalltalk_reply(kind: str | None) -> Reply:
    if kind == "thanks":
        return say.thanks()
    if kind == "bye":
        return say.bye()
    if kind == "help":
        return texts.help_text()
    return texts.welcome()


def reply_for(result: MatchResult) -> Reply:
    """The reply a citizen sees for a match result (also used by `python -m bot ask`)."""
    if result.action == "answer" and result.entry is not None:
        return answer_reply(result.entry)
    if result.action == "smalltalk":
        return smalltalk_reply(result.smalltalk)
    if result.action == "suggest" and result.suggestions:
        return suggest_reply(result)
    return fallback_reply()


async def answer_question(turn: Turn) -> list[Reply]:
    """Free text: answer, suggest, fall back or chat, and log what was not answered."""
    result = turn.app.matcher.match(turn.text)
    if result.action in ("suggest", "fallback"):
        await _record_unanswered(turn, result)
    return [reply_for(result)]


async def _record_unanswered(turn: Turn, result: MatchResult) -> None:
    best = result.suggestions[0] if result.suggestions else None
    await unanswered.record(
        turn.db,
        channel=turn.incoming.channel,
        text=redact_personal(turn.text),
        best_faq_id=best.entry.id if best else None,
        best_score=result.score,
        action=result.action,
        now=turn.now,
        person_key=person_key(turn.app.privacy_key, turn.incoming.channel, turn.incoming.chat_id),
    )


async def faq_button(turn: Turn) -> list[Reply]:
    """`faq:<id>`: a suggestion or a topic question was tapped."""
    faq_id = (turn.payload or "").partition(":")[2]
    entry = turn.app.knowledge.get(faq_id)
    return [answer_reply(entry)] if entry is not None else [fallback_reply()]


async def topics_button(turn: Turn) -> list[Reply]:
    """`topics:list`, `topics:<topic>` or `topics:<topic>:<page>`."""
    knowledge = turn.app.knowledge
    match (turn.payload or "").split(":")[1:]:
        case [topic_id] if topic_id != "list":
            return _topic_page(turn, topic_id, 0)
        case [topic_id, page] if (number := small_number(page, 3)) is not None:
            return _topic_page(turn, topic_id, number)
    return [say.choose_topic(tuple(Button(t.title, f"topics:{t.id}") for t in knowledge.topics))]


def _topic_page(turn: Turn, topic_id: str, page: int) -> list[Reply]:
    knowledge = turn.app.knowledge
    entries = knowledge.in_topic(topic_id)
    topic = next((t for t in knowledge.topics if t.id == topic_id), None)
    if topic is None or not entries:
        return [say.empty_topic()]
    start = page * TOPIC_PAGE_SIZE
    shown = entries[start : start + TOPIC_PAGE_SIZE]
    buttons: list[Button] = [Button(label(e.questions[0]), f"faq:{e.id}") for e in shown]
    if start + TOPIC_PAGE_SIZE < len(entries):
        buttons.append(Button(say.BUTTON_MORE, f"topics:{topic_id}:{page + 1}"))
    buttons += [Button(say.BUTTON_OTHER_TOPICS, texts.PAYLOAD_TOPICS), texts.MENU_BUTTON]
    return [say.topic_questions(topic.title, tuple(buttons))]
