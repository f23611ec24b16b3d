"""Questions answered from the knowledge base, topic browsing, and honest fallbacks.

Every answer is chosen for the day of the turn, the campaign year and the features this
deployment offers (faq/answers.py): an entry about a feature that is off is hidden or
replaced by its honest alternative. Sources go as links, most authoritative first.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from bot import metrics
from bot.clock import VN_TZ, to_local
from bot.messages import Button, Link, Reply
from bot.payloads import small_number
from bot.privacy import person_key, redact_personal
from bot.turn import Turn
from faq.answers import Answer, Situation, answer_for, visible_entries
from faq.kb_model import FaqEntry
from faq.matcher import MatchResult
from handlers import texts
from handlers.faq import tally
from handlers.faq import texts as say
from storage import unanswered

TOPIC_PAGE_SIZE = 8
MAX_LABEL_CHARS = 60
MAX_SOURCES_SHOWN = 2
VOLUNTEERS = "volunteers"

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


def situation_now(campaign_year: int | None, features: Collection[str]) -> Situation:
    """Today in Vietnam, for callers without a turn (the `ask` command)."""
    return Situation.on(datetime.now(VN_TZ).date(), campaign_year, features)


def situation_of(turn: Turn) -> Situation:
    """The day of this turn in Vietnam, the configured campaign year, the features on."""
    app = turn.app
    return Situation.on(
        to_local(turn.now).date(), app.settings.campaign_year, app.available_features
    )


def source_links(answer: Answer) -> tuple[Link, ...]:
    """Source links ("Nguồn: <publisher>, kiểm tra dd/mm/yyyy"), most authoritative first."""
    links = [
        Link(say.source_label(source.publisher, source.checked), source.url)
        for source in answer.sources[:MAX_SOURCES_SHOWN]
    ]
    if not links:  # an entry built without the publishers table
        links = [
            Link(say.source_url_label(url), url) for url in answer.entry.sources[:MAX_SOURCES_SHOWN]
        ]
    return tuple(links)


def answer_reply(entry: FaqEntry, situation: Situation) -> Reply:
    """The answer as true in `situation`, its sources, and what to do next."""
    answer = answer_for(entry, situation)
    if answer is None:  # hidden in this deployment (its feature is off)
        return fallback_reply(situation)
    buttons: list[Button] = []
    if answer.action in ACTION_BUTTONS:
        buttons.append(ACTION_BUTTONS[answer.action])
    buttons.append(Button(say.BUTTON_SAME_TOPIC, f"topics:{entry.topic}"))
    if answer.action != "volunteer" and VOLUNTEERS in situation.features:
        buttons.append(texts.VOLUNTEER_BUTTON)
    buttons.append(texts.MENU_BUTTON)
    return Reply(answer.text, tuple(buttons), source_links(answer))


def suggest_reply(result: MatchResult, situation: Situation) -> Reply:
    return say.suggest(
        [Button(label(s.entry.questions[0]), f"faq:{s.entry.id}") for s in result.suggestions],
        volunteers=VOLUNTEERS in situation.features,
    )


def fallback_reply(situation: Situation) -> Reply:
    return say.fallback(volunteers=VOLUNTEERS in situation.features)


def smalltalk_reply(kind: str | None) -> Reply:
    if kind == "thanks":
        return say.thanks()
    if kind == "bye":
        return say.bye()
    if kind == "help":
        return texts.help_text()
    return texts.welcome()


def reply_for(result: MatchResult, situation: Situation) -> Reply:
    """The reply a citizen sees for a match result (also used by `python -m bot ask`)."""
    if result.action == "answer" and result.entry is not None:
        return answer_reply(result.entry, situation)
    if result.action == "smalltalk":
        return smalltalk_reply(result.smalltalk)
    if result.action == "suggest" and result.suggestions:
        return suggest_reply(result, situation)
    return fallback_reply(situation)


async def answer_question(turn: Turn) -> list[Reply]:
    """Free text: answer, suggest, fall back or chat, and log what was not answered."""
    situation = situation_of(turn)
    result = turn.app.matcher.match(turn.text, situation)
    metrics.FAQ_OUTCOMES.labels(result.action).inc()
    # Counts only (no words): the dashboard's overview shows answered/suggested/fallback shares.
    tally.count(turn.app, to_local(turn.now).date(), result.action)
    if result.action in ("suggest", "fallback"):
        turn.unanswered = True  # other features may notice (Router.after_turn)
        await _record_unanswered(turn, result)
    return [reply_for(result, situation)]


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
    situation = situation_of(turn)
    return [answer_reply(entry, situation) if entry is not None else fallback_reply(situation)]


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
    entries = visible_entries(knowledge, situation_of(turn), topic_id)
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
