"""Campaign reminders 1-10 October and organizers' announcements: the feature.

Citizens subscribe, choose a slot and a commune, and stop (subscribe.py); the daily job
queues each day's reminder once per subscriber (daily.py, from the calendar in
calendar.py); announcements go to an audience in batches (announcements.py), from the CLI
(cli.py) or from an organizer's chat with /thongbao (admin.py).
"""

from __future__ import annotations

from datetime import timedelta

from bot.features import Feature, Job
from bot.routing import Router
from handlers import texts as common
from handlers.reminders import admin, cli, subscribe
from handlers.reminders.announcements import queue_due_broadcasts
from handlers.reminders.daily import queue_due_reminders
from handlers.reminders.personal_data import PERSONAL_DATA

START_PHRASES = ("nhắc tôi", "nhắc lịch", "đăng ký nhận tin", "nhận nhắc lịch", "nhắc nhở lịch")
STOP_PHRASES = ("dừng nhắc", "huỷ nhắc", "hủy nhắc", "dừng nhận tin", "dừng nhắc lịch")
# Short words are stops only on their own (a whole message), never inside a question.
STOP_WORDS = ("dừng", "stop", "thôi", "thôi nhắc")


def register(router: Router) -> None:
    router.payload("reminders", subscribe.button)
    # A subscription choice is never cut by a timeout: it has none.
    router.flow(subscribe.FLOW, subscribe.flow)
    router.command("nhaclich", common.PAYLOAD_REMINDERS, "Nhận nhắc lịch 1–10/10")
    router.command("huynhac", "reminders:stop", "Dừng nhận nhắc lịch")
    router.deep_link("nhaclich", common.PAYLOAD_REMINDERS)
    router.intent(STOP_PHRASES, subscribe.stop)
    router.intent(STOP_WORDS, subscribe.stop, exact=True)
    router.intent(START_PHRASES, subscribe.start)
    router.command("thongbao", admin.start)
    router.payload(admin.FLOW, admin.flow)
    router.flow(admin.FLOW, admin.flow, timeout=lambda settings: timedelta(hours=2))


feature = Feature(
    name="reminders",
    register=register,
    jobs=(
        Job("campaign-reminders", every=60, run=queue_due_reminders),
        Job("announcements", every=15, run=queue_due_broadcasts),
    ),
    cli=(cli.register,),
    personal_data=PERSONAL_DATA,
)
