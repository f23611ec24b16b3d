"""Helpers shared by the sign-up tests: sessions relative to the test clock, a booking walk."""

from __future__ import annotations

import datetime as dt

from bot.clock import VN_TZ
from bot.context import AppContext
from bot.messages import Reply
from storage import help_sessions, signups
from storage.help_sessions import SessionSpec
from storage.models import Signup
from tests.support import Chat

TOPICS = ("Cài đặt, kích hoạt VNeID", "Thanh toán bằng mã QR")


def spec(
    slug: str,
    *,
    day: int = 3,
    hour: int = 8,
    capacity: int = 10,
    commune: str = "Xã Nghĩa Hành",
    title: str = "Hướng dẫn cài VNeID",
) -> SessionSpec:
    """A session on `day` October 2026 at `hour` Vietnam time (the test clock is 28/9/2026)."""
    start = dt.datetime(2026, 10, day, hour, 0, tzinfo=VN_TZ).astimezone(dt.UTC)
    return SessionSpec(
        slug=slug,
        title=title,
        place="Nhà văn hóa thôn 1",
        address="Gần trụ sở UBND xã",
        commune=commune,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
        capacity=capacity,
        topics=TOPICS,
        bring="Điện thoại đã sạc pin, thẻ căn cước",
        contact=f"Tổ công nghệ số cộng đồng {commune.lower()}",
    )


async def add_sessions(app: AppContext, *specs: SessionSpec) -> dict[str, int]:
    """Import sessions; returns slug -> database id."""
    now = app.clock.now()
    async with app.transaction() as db:
        report = await help_sessions.import_sessions(db, specs, now)
        assert not report.refused
    async with app.open_db() as db:
        rows = await help_sessions.all_sessions(db)
    return {seats.session.slug: seats.session.id for seats in rows}


async def walk_to_summary(
    chat: Chat,
    session_id: int,
    *,
    name: str = "Nguyễn Thị Lan",
    phone: str = "0912 345 678",
) -> list[Reply]:
    """Start, pick the session (joining the waitlist if full), agree, name, phone, need."""
    await chat.press("signup:start")
    replies = await chat.press(f"signup:pick:{session_id}")
    if any(b.payload == "signup:wait" for r in replies for b in r.buttons):
        await chat.press("signup:wait")
    await chat.press("signup:consent:yes")
    await chat.say(name)
    await chat.say(phone)
    return await chat.press("signup:need:0")


async def book_via_chat(chat: Chat, session_id: int, **kwargs: str) -> list[Reply]:
    await walk_to_summary(chat, session_id, **kwargs)
    return await chat.press("signup:confirm")


async def rows(app: AppContext) -> list[Signup]:
    """Every sign-up row, in id order."""
    async with app.open_db() as db:
        return [s for s, _h in await signups.export_rows(db)]
