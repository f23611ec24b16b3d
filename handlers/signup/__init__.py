"""Help-session sign-ups: the feature as the registry sees it.

Citizens: the form (form.py), "my bookings" and cancelling (bookings.py), notices
(notices.py), "my data" (personal_data.py). Organizers: the session file (sessions_file.py)
and `python -m bot sessions ...` / `signups export` (cli.py).
"""

from __future__ import annotations

from datetime import timedelta

from bot.features import Feature, Job
from bot.routing import Router
from handlers import texts as common
from handlers.signup import cli
from handlers.signup.bookings import begin, cancel_by_code, flow, show_mine, signup_button
from handlers.signup.form import FORM, expired
from handlers.signup.notices import REMINDER_EVERY_SECONDS, remind_tomorrow
from handlers.signup.personal_data import PERSONAL_DATA
from handlers.signup.texts import PAYLOAD_MINE
from handlers.signup.validation import MINE_PHRASES, START_PHRASES, code_in


def register(router: Router) -> None:
    """Buttons, the form, /dangky, /cuatoi, the deep link and the free-text phrases."""
    router.payload(FORM, signup_button)
    router.flow(
        FORM,
        flow,
        timeout=lambda settings: timedelta(hours=settings.form_timeout_hours),
        on_timeout=expired,
    )
    router.command("dangky", common.PAYLOAD_SIGNUP, "Đăng ký buổi hỗ trợ trực tiếp")
    router.command("cuatoi", PAYLOAD_MINE, "Xem, hủy lượt đăng ký của tôi")
    router.deep_link("dangky", common.PAYLOAD_SIGNUP)
    # "hủy đăng ký buổi hỗ trợ" contains a start phrase: the "my bookings" phrases go first.
    router.intent(MINE_PHRASES, show_mine)
    router.intent(START_PHRASES, begin)
    router.text_rule("cancel-by-code", lambda text: code_in(text) is not None, cancel_by_code)


feature = Feature(
    name="signup",
    register=register,
    jobs=(Job("session-reminders", REMINDER_EVERY_SECONDS, remind_tomorrow),),
    cli=(cli.register,),
    personal_data=PERSONAL_DATA,
)
