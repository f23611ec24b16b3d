"""Volunteers: a question the bot cannot answer goes to a person in the volunteer group,
and their answer comes back in the citizen's own chat.

Citizens (citizen.py): the button, /tinhnguyenvien, "gặp người thật", the offer after two
unanswered questions; the warning, the ticket, the held conversation, ending and rating.
Volunteers (group.py) work in their Telegram group: claim, answer, hand on, close, save as
an FAQ draft. The desk job (jobs.py) posts tickets and runs the timers; lifecycle.py is
what happens to a ticket whoever acts. Organizers: `tickets ...`, `faq drafts ...` (cli.py).
"""

from __future__ import annotations

from bot.features import Feature, Job
from bot.routing import Router
from handlers import texts as common
from handlers.volunteers import cli
from handlers.volunteers.citizen import (
    ASK_FLOW,
    ASK_TIMEOUT,
    START_PHRASES,
    asking,
    begin,
    held,
    left,
    offer_after_misses,
    volunteer_button,
)
from handlers.volunteers.desk import check_at_start
from handlers.volunteers.group import group_message
from handlers.volunteers.jobs import DESK_EVERY_SECONDS, run_desk
from handlers.volunteers.lifecycle import DESK_JOB, HELD_FLOW
from handlers.volunteers.personal_data import PERSONAL_DATA

# What leaves a conversation held by a volunteer (besides "kết thúc" and its button).
HELD_EXITS = ("/menu", "/xoadulieu", "menu", "mydata")


def register(router: Router) -> None:
    """The `volunteer:` buttons, both flows, /tinhnguyenvien, phrases, the group, the offer."""
    router.payload("volunteer", volunteer_button)
    # A warning left unanswered expires quietly: the message then is a new one for the bot.
    router.flow(ASK_FLOW, asking, timeout=lambda settings: ASK_TIMEOUT, media=True)
    router.flow(HELD_FLOW, held, exits_only=HELD_EXITS, on_exit=left)
    router.command("tinhnguyenvien", common.PAYLOAD_VOLUNTEER, "Nhắn tình nguyện viên (người thật)")
    router.intent(START_PHRASES, begin)
    router.group(group_message)
    router.after_turn(offer_after_misses)


feature = Feature(
    name="volunteers",
    register=register,
    jobs=(Job(DESK_JOB, every=DESK_EVERY_SECONDS, run=run_desk),),
    cli=(cli.register,),
    personal_data=PERSONAL_DATA,
    available=lambda settings: settings.volunteer_desk() is not None,
    on_start=check_at_start,
)
