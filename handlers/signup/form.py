"""The sign-up form: session (by commune, paged), consent, name, phone, need, confirmation.

Consent is asked right after the session is chosen, before the name and phone are typed, so
nothing personal is collected (not even in the conversation state) without it.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime

from bot.forms import Answer, Finish, Form, Next, Outcome, Retry, Step
from bot.messages import Button, Reply
from bot.payloads import small_number
from bot.privacy import mask_id, mask_name, mask_phone
from bot.turn import Turn
from faq.normalize import normalize, strip_diacritics
from handlers import texts
from handlers.signup import booking_texts
from handlers.signup import texts as say
from handlers.signup.validation import (
    CONFIRM_WORDS,
    NO_WORDS,
    YES_WORDS,
    clean_name,
    normalize_phone,
)
from storage import help_sessions, signups
from storage.models import HelpSession

logger = logging.getLogger(__name__)

FORM = "signup"
PAGE_SIZE = 5
# With more upcoming sessions than this (in several communes), ask for the commune first.
COMMUNE_FILTER_OVER = 6
ALL_COMMUNES = "*"
MAX_NEED_CHARS = 200


def _commune_key(name: str) -> str:
    return strip_diacritics(name)


async def ask_session(turn: Turn) -> list[Reply]:
    answers = form.answers(turn)
    upcoming = await help_sessions.upcoming_sessions(turn.db, turn.now)
    if not upcoming:
        return [say.no_sessions()]
    communes = sorted({s.session.commune for s in upcoming}, key=_commune_key)
    filtering = len(upcoming) > COMMUNE_FILTER_OVER and len(communes) > 1
    commune = answers.get("commune")
    if filtering and commune is None:
        answers["communes"] = communes
        counts = {c: sum(s.session.commune == c for s in upcoming) for c in communes}
        buttons = [
            Button(say.commune_label(c, counts[c]), f"{FORM}:commune:{i}")
            for i, c in enumerate(communes)
        ]
        buttons.append(Button(say.BUTTON_ALL_COMMUNES, f"{FORM}:commune:all"))
        return [Reply(say.choose_commune(len(upcoming)), tuple(buttons))]
    shown = [s for s in upcoming if commune in (None, ALL_COMMUNES) or s.session.commune == commune]
    shown = shown or upcoming  # the commune has no session left: show them all
    pages = math.ceil(len(shown) / PAGE_SIZE)
    page = min(int(answers.get("page", 0)), pages - 1)
    first = page * PAGE_SIZE
    chunk = shown[first : first + PAGE_SIZE]
    lines = [say.session_line(first + i + 1, s) for i, s in enumerate(chunk)]
    buttons = [
        Button(say.session_button(first + i + 1, s), f"{FORM}:pick:{s.session.id}")
        for i, s in enumerate(chunk)
    ]
    if page + 1 < pages:
        buttons.append(Button(say.BUTTON_MORE, f"{FORM}:page:{page + 1}"))
    if filtering:
        buttons.append(Button(say.BUTTON_OTHER_COMMUNE, f"{FORM}:communes"))
    return [Reply(say.choose_session(lines, page, pages), tuple(buttons))]


async def got_session(turn: Turn, answer: Answer) -> Outcome:
    answers = form.answers(turn)
    communes: list[str] = answers.get("communes", [])
    match (answer.choice or "").split(":"):
        case ["pick", sid] if (session_id := small_number(sid)) is not None:
            return await _picked(turn, session_id)
        case ["commune", index]:
            number = small_number(index)
            chosen = number is not None and number < len(communes)
            answers["commune"] = communes[number] if chosen and number is not None else ALL_COMMUNES
            answers["page"] = 0
        case ["communes"]:
            answers.pop("commune", None)
            answers["page"] = 0
        case ["page", n] if (page := small_number(n, 3)) is not None:
            answers["page"] = page
        case _ if answer.choice is None and _typed_commune(turn, answer.text):
            answers["page"] = 0
        case _:
            return Retry((Reply(say.pick_from_list()), *await ask_session(turn)))
    return Retry(tuple(await ask_session(turn)))


def _typed_commune(turn: Turn, text: str) -> bool:
    """'nghia hanh' chooses Xã Nghĩa Hành among the communes shown."""
    said = normalize(text)
    if len(said) < 3:
        return False
    for commune in form.answers(turn).get("communes", []):
        if said in normalize(commune):
            form.answers(turn)["commune"] = commune
            return True
    return False


async def _picked(turn: Turn, session_id: int) -> Outcome:
    seats = await help_sessions.session_seats(turn.db, session_id)
    if seats is None or seats.session.starts_at <= turn.now:
        return Retry((say.session_gone(),))
    incoming = turn.incoming
    held = await signups.active_signup(turn.db, session_id, incoming.channel, incoming.chat_id)
    if held is not None:
        return Retry((say.already_in_session(held),))
    form.answers(turn)["session_id"] = session_id
    return Next("full") if seats.free == 0 else Next("consent")


async def ask_full(turn: Turn) -> list[Reply]:
    seats = await help_sessions.session_seats(turn.db, int(form.answers(turn)["session_id"]))
    if seats is None:
        return [say.session_gone()]
    return [
        Reply(
            say.session_full(seats),
            (
                Button(say.BUTTON_WAITLIST, f"{FORM}:wait"),
                Button(say.BUTTON_OTHER_SESSION, f"{FORM}:back"),
            ),
        )
    ]


async def got_full(turn: Turn, answer: Answer) -> Outcome:
    if answer.choice == "wait" or normalize(answer.text) in YES_WORDS:
        return Next("consent")
    return Retry(tuple(await ask_full(turn)))


async def ask_consent(turn: Turn) -> list[Reply]:
    return [
        Reply(
            say.ask_consent(),
            (
                Button(say.BUTTON_AGREE, f"{FORM}:consent:yes"),
                Button(say.BUTTON_DISAGREE, f"{FORM}:consent:no"),
            ),
        )
    ]


async def got_consent(turn: Turn, answer: Answer) -> Outcome:
    said = normalize(answer.text) if answer.choice is None else ""
    if answer.choice == "consent:yes" or said in YES_WORDS:
        form.answers(turn)["consent_at"] = turn.now.isoformat()
        return Next("name")
    if answer.choice == "consent:no" or said in NO_WORDS:
        logger.info("signup consent declined chat=%s", mask_id(turn.incoming.chat_id))
        return Finish((say.consent_declined(),))
    return Retry((say.consent_hint(),))


async def ask_name(turn: Turn) -> list[Reply]:
    return [Reply(say.ask_name())]


async def got_name(turn: Turn, answer: Answer) -> Outcome:
    name = clean_name(answer.text) if answer.choice is None else None
    if name is None:
        return Retry((say.bad_name(),))
    form.answers(turn)["name"] = name
    return Next("phone")


async def ask_phone(turn: Turn) -> list[Reply]:
    return [Reply(say.ask_phone(form.answers(turn)["name"]))]


async def got_phone(turn: Turn, answer: Answer) -> Outcome:
    phone = normalize_phone(answer.text) if answer.choice is None else None
    if phone is None:
        return Retry((say.bad_phone(),))
    form.answers(turn)["phone"] = phone
    return Next("need")


async def _chosen_session(turn: Turn) -> HelpSession | None:
    session_id = form.answers(turn).get("session_id")
    return None if session_id is None else await turn.db.get(HelpSession, int(session_id))


async def ask_need(turn: Turn) -> list[Reply]:
    session = await _chosen_session(turn)
    topics = list(session.topics) if session else []
    buttons = [Button(topic, f"{FORM}:need:{i}") for i, topic in enumerate(topics)]
    buttons.append(Button(say.NEED_UNSURE, f"{FORM}:need:unsure"))
    return [Reply(say.ask_need(), tuple(buttons))]


async def got_need(turn: Turn, answer: Answer) -> Outcome:
    session = await _chosen_session(turn)
    topics = list(session.topics) if session else []
    parts = (answer.choice or "").split(":")
    index = small_number(parts[1]) if len(parts) == 2 and parts[0] == "need" else None
    if index is not None and index < len(topics):
        need = topics[index]
    elif parts == ["need", "unsure"]:
        need = say.NEED_UNSURE
    elif answer.choice is None and answer.text:
        need = " ".join(answer.text.split())
        if len(need) > MAX_NEED_CHARS:
            return Retry((say.need_too_long(MAX_NEED_CHARS),))
    else:
        return Retry(tuple(await ask_need(turn)))
    form.answers(turn)["need"] = need
    return Next("confirm")


async def ask_confirm(turn: Turn) -> list[Reply]:
    session = await _chosen_session(turn)
    if session is None:
        return [say.session_gone()]
    return [
        Reply(
            say.summary(session, form.answers(turn)),
            (Button(say.BUTTON_CONFIRM, f"{FORM}:confirm"),),
        )
    ]


async def got_confirm(turn: Turn, answer: Answer) -> Outcome:
    said = normalize(answer.text) if answer.choice is None else ""
    if answer.choice != "confirm" and said not in CONFIRM_WORDS:
        return Retry((say.confirm_hint(),))
    answers = form.answers(turn)
    incoming = turn.incoming
    booking = await signups.book(
        turn.db,
        session_id=int(answers["session_id"]),
        channel=incoming.channel,
        chat_id=incoming.chat_id,
        full_name=answers["name"],
        phone=answers["phone"],
        need=answers["need"],
        consent_at=datetime.fromisoformat(answers["consent_at"]),
        now=turn.now,
    )
    signup, session = booking.signup, booking.session
    logger.info(
        "signup %s session=%s chat=%s name=%s phone=%s",
        booking.status,
        session.slug if session else answers["session_id"],
        mask_id(incoming.chat_id),
        mask_name(answers["name"]),
        mask_phone(answers["phone"]),
    )
    if booking.status == signups.BookingOutcome.CONFIRMED and signup and session:
        public = turn.app.settings.dashboard_public_url
        checkin = f"{public.rstrip('/')}/checkin" if public else None
        return Finish((booking_texts.booked(session, signup, checkin),))
    if booking.status == signups.BookingOutcome.WAITLISTED and signup and session:
        return Finish((booking_texts.waitlisted(session, signup, booking.waitlist_position),))
    if booking.status == signups.BookingOutcome.ALREADY and signup:
        return Finish((say.already_in_session(signup),))
    return Finish((say.session_gone(),))


async def _on_cancel(turn: Turn) -> list[Reply]:
    return [texts.form_cancelled()]


async def expired(turn: Turn) -> list[Reply]:
    """The person comes back to a form left for longer than FORM_TIMEOUT_HOURS."""
    return [texts.form_expired()]


form = Form(
    FORM,
    [
        Step("session", ask_session, got_session, can_go_back=False),
        Step("full", ask_full, got_full),
        Step("consent", ask_consent, got_consent),
        Step("name", ask_name, got_name),
        Step("phone", ask_phone, got_phone),
        Step("need", ask_need, got_need),
        Step("confirm", ask_confirm, got_confirm),
    ],
    texts=texts.FORM_TEXTS,
    on_cancel=_on_cancel,
)
