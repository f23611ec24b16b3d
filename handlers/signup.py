"""Help-session sign-ups: choose a session, consent, name, phone, need, confirm; view and cancel.

Consent is asked right after the session is chosen, before the name and phone are typed, so
nothing personal is collected (not even in the conversation state) without it.
"""

from __future__ import annotations

import logging
import math
import re
from datetime import UTC, datetime, time, timedelta

from bot.clock import VN_TZ, to_local
from bot.context import AppContext
from bot.forms import Answer, Finish, Form, Next, Outcome, Retry, Step
from bot.messages import Button, Reply
from bot.payloads import small_number
from bot.privacy import mask_id, mask_name, mask_phone
from bot.routing import Router
from bot.turn import Turn
from faq.normalize import normalize, strip_diacritics
from handlers import signup_texts as say
from handlers import texts
from handlers.mydata import PersonalDataSource
from storage import outbox, signups
from storage.models import HelpSession, InDoubtPolicy, Signup

logger = logging.getLogger(__name__)

FORM = "signup"
PAGE_SIZE = 5
# With more upcoming sessions than this (in several communes), ask for the commune first.
COMMUNE_FILTER_OVER = 6
ALL_COMMUNES = "*"
MAX_NAME_CHARS = 60
MAX_NEED_CHARS = 200
# Day-before reminders are queued only in daytime, Vietnam time (no messages at night).
REMINDER_FROM_HOUR = 8
REMINDER_UNTIL_HOUR = 21

YES_WORDS = frozenset({"co", "dong y", "ok", "yes", "vang", "da", "u", "uh", "duoc", "dung"})
NO_WORDS = frozenset({"khong", "khong dong y", "no", "thoi khong"})
CONFIRM_WORDS = YES_WORDS | {"xac nhan", "dung roi", "chinh xac"}
START_PHRASES = (
    "đăng ký buổi",
    "đăng ký hỗ trợ",
    "đăng ký tham gia buổi",
    "đăng ký lịch hỗ trợ",
    "ghi tên buổi",
    "đặt lịch hỗ trợ",
)
MINE_PHRASES = (
    "hủy đăng ký buổi",
    "hủy buổi hỗ trợ",
    "lượt đăng ký của tôi",
    "buổi tôi đã đăng ký",
    "xem lịch đã đăng ký",
    "xem lại đăng ký",
)
_SEPARATORS = re.compile(r"[\s.\-()]")
_PHONE_DIGITS = re.compile(r"^[35789][0-9]{8}$")
# "hủy ABC234", "huỷ mã abc-234", "hủy đăng ký ABC 234" (matched without diacritics).
_CANCEL_CODE = re.compile(r"^huy\s+(?:dang ky\s+)?(?:ma\s+)?[:#]?\s*([a-z0-9][a-z0-9 \-]{4,10})$")


def normalize_phone(text: str) -> str | None:
    """A Vietnamese mobile number as 0XXXXXXXXX, or None: '+84 912.345.678' -> '0912345678'."""
    raw = _SEPARATORS.sub("", text.strip())
    if raw.startswith("+84"):
        raw = raw[3:]
    elif raw.startswith("0084"):
        raw = raw[4:]
    elif raw.startswith("84") and len(raw) == 11:
        raw = raw[2:]
    if raw.startswith("0"):  # also "+84 0912..." which people often write
        raw = raw[1:]
    return "0" + raw if _PHONE_DIGITS.match(raw) else None


def clean_name(text: str) -> str | None:
    """Collapse spaces and capitalise an all-lower-case name; None if it is not a name."""
    name = " ".join(text.split())
    allowed = all(ch.isalpha() or ch in " .'-" for ch in name)
    if not allowed or sum(ch.isalpha() for ch in name) < 2 or len(name) > MAX_NAME_CHARS:
        return None
    return name.title() if name.islower() else name


def code_in(text: str) -> str | None:
    """The booking code in 'hủy ABC234' (any case, separators, diacritics), else None."""
    match = _CANCEL_CODE.match(" ".join(strip_diacritics(text).split()))
    if match is None:
        return None
    code = re.sub(r"[\s-]", "", match.group(1)).upper()
    return code if signups.is_code(code) else None


# --- the form -------------------------------------------------------------------------------


def _commune_key(name: str) -> str:
    return strip_diacritics(name)


async def ask_session(turn: Turn) -> list[Reply]:
    answers = form.answers(turn)
    upcoming = await signups.upcoming_sessions(turn.db, turn.now)
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
    seats = await signups.session_seats(turn.db, session_id)
    if seats is None or seats.session.starts_at <= turn.now:
        return Retry((say.session_gone(),))
    incoming = turn.incoming
    held = await signups.active_signup(turn.db, session_id, incoming.channel, incoming.chat_id)
    if held is not None:
        return Retry((say.already_in_session(held),))
    form.answers(turn)["session_id"] = session_id
    return Next("full") if seats.free == 0 else Next("consent")


async def ask_full(turn: Turn) -> list[Reply]:
    seats = await signups.session_seats(turn.db, int(form.answers(turn)["session_id"]))
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
    if booking.status == signups.CONFIRMED and signup and session:
        return Finish((say.booked(session, signup),))
    if booking.status == signups.WAITLISTED and signup and session:
        return Finish((say.waitlisted(session, signup, booking.waitlist_position),))
    if booking.status == "already" and signup:
        return Finish((say.already_in_session(signup),))
    return Finish((say.session_gone(),))


async def _on_cancel(turn: Turn) -> list[Reply]:
    return [texts.form_cancelled()]


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
    on_cancel=_on_cancel,
)


# --- entry points, "my bookings", cancelling --------------------------------------------------


async def begin(turn: Turn) -> list[Reply]:
    """Main-menu button, /dangky, the deep link or "đăng ký buổi hỗ trợ"."""
    incoming = turn.incoming
    if not await signups.upcoming_sessions(turn.db, turn.now):
        turn.state.reset()
        return [say.no_sessions()]
    held = await signups.signups_for_chat(turn.db, incoming.channel, incoming.chat_id)
    upcoming_held = [s for s, session in held if session.ends_at > turn.now]
    notes = [say.has_bookings_note(len(upcoming_held))] if upcoming_held else []
    return notes + await form.start(turn)


async def show_mine(turn: Turn) -> list[Reply]:
    """The person's sign-ups of sessions not over yet, each with a cancel button."""
    incoming = turn.incoming
    items = []
    for signup, session in await signups.signups_for_chat(
        turn.db, incoming.channel, incoming.chat_id
    ):
        if session.ends_at <= turn.now:
            continue
        position = (
            await signups.waitlist_position(turn.db, signup)
            if signup.status == signups.WAITLISTED
            else 0
        )
        items.append((signup, session, position))
    return [say.mine(items)]


async def _own_active(turn: Turn, signup_id: int) -> tuple[Signup, HelpSession] | None:
    signup = await turn.db.get(Signup, signup_id)
    incoming = turn.incoming
    if (
        signup is None
        or signup.status not in signups.ACTIVE
        or (signup.channel, signup.chat_id) != (incoming.channel, incoming.chat_id)
    ):
        return None
    session = await turn.db.get(HelpSession, signup.session_id)
    return None if session is None else (signup, session)


def promotion_message(session: HelpSession, person: Signup) -> outbox.Message:
    """ "You have a seat now", on the channel they signed up on; queued once per sign-up.

    Resent if a crash leaves it in doubt: a duplicate is better than an empty seat.
    """
    return outbox.Message(
        channel=person.channel,
        chat_id=person.chat_id,
        reply=say.promoted(session, person).to_dict(),
        kind="signup.promoted",
        priority=outbox.Priority.NOTICE,
        on_doubt=InDoubtPolicy.RESEND,
        source=f"session:{session.slug}"[:64],
        dedupe_key=f"signup-promoted:{person.id}",
    )


async def notify_promoted(turn: Turn, cancellation: signups.Cancellation) -> None:
    """Tell each promoted person, on the channel they signed up on, after this turn commits."""
    for person in cancellation.promoted:
        await turn.notify(promotion_message(cancellation.session, person))
        logger.info(
            "signup promoted session=%s chat=%s",
            cancellation.session.slug,
            mask_id(person.chat_id),
        )


async def _cancel(turn: Turn, signup_id: int) -> Reply | None:
    owned = await _own_active(turn, signup_id)
    if owned is None:
        return None
    cancellation = await signups.cancel(turn.db, signup_id, turn.now)
    if cancellation is None:
        return None
    await notify_promoted(turn, cancellation)
    logger.info(
        "signup cancelled session=%s chat=%s promoted=%d",
        cancellation.session.slug,
        mask_id(turn.incoming.chat_id),
        len(cancellation.promoted),
    )
    return say.dropped(cancellation.signup, cancellation.session)


async def cancel_by_code(turn: Turn) -> list[Reply]:
    """'hủy ABC234': cancel the booking with that code, if it is the person's own."""
    code = code_in(turn.text)
    assert code is not None  # the router's text rule checked it
    signup = await signups.find_by_code(turn.db, code)
    done = await _cancel(turn, signup.id) if signup is not None else None
    return [done or say.not_found(code)]


async def signup_button(turn: Turn) -> list[Reply]:
    """`signup:*` buttons outside the form (start, mine, drop, dropok, stale form buttons)."""
    match (turn.payload or "").split(":")[1:]:
        case ["start" | "ask"]:
            return await begin(turn)
        case ["mine"]:
            return await show_mine(turn)
        case ["drop", sid] if (signup_id := small_number(sid)) is not None:
            owned = await _own_active(turn, signup_id)
            return [say.confirm_drop(*owned)] if owned else await show_mine(turn)
        case ["dropok", sid] if (signup_id := small_number(sid)) is not None:
            return [await _cancel(turn, signup_id) or say.already_done_cancel()]
        case ["confirm"]:
            # A second tap on "Xác nhận" after the booking went through.
            incoming = turn.incoming
            if await signups.signups_for_chat(turn.db, incoming.channel, incoming.chat_id):
                return [say.already_done()]
    return [say.stale_button()]


async def flow(turn: Turn) -> list[Reply]:
    """Inside the form: restart, leave for "my bookings", cancel by code, or answer the step."""
    action = (turn.payload or "").partition(":")[2].partition(":")[0]
    if action == "start":
        return await begin(turn)
    if action in ("mine", "drop", "dropok"):
        turn.state.reset()
        return await signup_button(turn)
    if turn.payload is None and code_in(turn.text) is not None:
        turn.state.reset()
        return await cancel_by_code(turn)
    return await form.handle(turn)


# --- personal data, reminders ------------------------------------------------------------------


async def describe_personal_data(turn: Turn) -> list[str]:
    """For "Dữ liệu của tôi": every sign-up, phone masked."""
    incoming = turn.incoming
    rows = await signups.signups_for_chat(
        turn.db, incoming.channel, incoming.chat_id, active_only=False
    )
    lines = [
        say.mydata_line(signup, session, mask_phone(signup.phone))
        for signup, session in rows
        if signup.status in signups.ACTIVE
    ]
    cancelled = sum(signup.status == signups.CANCELLED for signup, _ in rows)
    if cancelled:
        lines.append(say.mydata_cancelled(cancelled))
    return lines


async def delete_personal_data(turn: Turn) -> int:
    """Cancel active sign-ups (the waitlist moves up and is told), then erase every row."""
    incoming = turn.incoming
    count, cancellations = await signups.delete_for_chat(
        turn.db, incoming.channel, incoming.chat_id, turn.now
    )
    for cancellation in cancellations:
        await notify_promoted(turn, cancellation)
    logger.info("signup data deleted chat=%s rows=%d", mask_id(incoming.chat_id), count)
    return count


PERSONAL_DATA = PersonalDataSource(describe_personal_data, delete_personal_data)


def _tomorrow_utc(now: datetime) -> tuple[datetime, datetime]:
    tomorrow = to_local(now).date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time(0, 0), VN_TZ).astimezone(UTC)
    return start, start + timedelta(days=1)


async def queue_day_before_reminders(app: AppContext, now: datetime) -> int:
    """Queue (once each) a reminder to everyone confirmed for a session starting tomorrow.

    Runs often; between 08:00 and 21:00 Vietnam time it queues what is not queued yet
    (the outbox dedupe key makes repeats no-ops), so late promotions are reminded too.
    """
    if not REMINDER_FROM_HOUR <= to_local(now).hour < REMINDER_UNTIL_HOUR:
        return 0
    start, end = _tomorrow_utc(now)
    queued = 0
    async with app.transaction() as db:
        for signup, session in await signups.confirmed_starting_between(db, start, end):
            message = outbox.Message(
                channel=signup.channel,
                chat_id=signup.chat_id,
                reply=say.reminder(session, signup).to_dict(),
                kind="signup.reminder",
                source=f"session:{session.slug}"[:64],
                dedupe_key=signups.REMINDER_KEY.format(signup_id=signup.id),
            )
            queued += await outbox.enqueue(db, message, now)
    if queued:
        logger.info("session reminders queued=%d", queued)
        app.outbox_wakeup.set()
    return queued


async def remind_tomorrow(app: AppContext) -> None:
    """The periodic task of bot/runtime.py."""
    await queue_day_before_reminders(app, app.clock.now())


def register(router: Router) -> None:
    """Buttons, the form, /dangky, /cuatoi, the deep link and the free-text phrases."""
    router.payload(FORM, signup_button)
    router.flow(FORM, flow)
    router.command("dangky", texts.PAYLOAD_SIGNUP, "Đăng ký buổi hỗ trợ trực tiếp")
    router.command("cuatoi", say.PAYLOAD_MINE, "Xem, hủy lượt đăng ký của tôi")
    router.deep_link("dangky", texts.PAYLOAD_SIGNUP)
    # "hủy đăng ký buổi hỗ trợ" contains a start phrase: the "my bookings" phrases go first.
    router.intent(MINE_PHRASES, show_mine)
    router.intent(START_PHRASES, begin)
    router.text_rule("cancel-by-code", lambda text: code_in(text) is not None, cancel_by_code)
