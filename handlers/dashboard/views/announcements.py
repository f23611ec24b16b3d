"""Announcements: compose, preview with the audience size, confirm, follow delivery, cancel;
and the campaign calendar's ten days with each day's reminder and its delivery."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.console import render as render_reply
from bot.clock import VN_TZ
from handlers.dashboard.pages import base, context, render
from handlers.dashboard.roles import OFFICE, account_of, allowed
from handlers.reminders import texts as say
from handlers.reminders.announcements import MAX_TEXT_CHARS, Audience, BadAudience, count_audience
from handlers.reminders.cli import render_reminder
from handlers.reminders.daily import campaign_dates, load_day
from storage import audit, broadcasts, help_sessions, outbox_reports
from storage.models import BroadcastStatus, OutboxMessage

JOB = "announcements"  # handlers/reminders: the job that queues due announcements
FINISHED = ("sent", "failed", "unreachable", "skipped", "cancelled", "in_doubt")


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/announcements", listing)
    router.add_post("/announcements/preview", preview)
    router.add_post("/announcements", create)
    router.add_get("/announcements/{id:[0-9]{1,9}}", progress)
    router.add_get("/announcements/{id:[0-9]{1,9}}/progress.json", progress_json)
    router.add_post("/announcements/{id:[0-9]{1,9}}/cancel", cancel)
    router.add_get("/calendar", calendar)


async def _audiences(db: AsyncSession, now: dt.datetime) -> list[tuple[str, str]]:
    choices = [(kind, label) for kind, label in say.AUDIENCE_LABELS.items()]
    for seats in await help_sessions.upcoming_sessions(db, now):
        s = seats.session
        choices.append((f"signups:{s.slug}", f"Người đăng ký buổi {s.title} ({s.commune})"))
    return choices


@allowed(OFFICE)
async def listing(request: web.Request) -> web.Response:
    return await _listing(request)


async def _listing(request: web.Request, error: str | None = None) -> web.Response:
    app = context(request)
    async with app.open_db() as db:
        items = await broadcasts.recent(db)
        audiences = await _audiences(db, app.clock.now())
    return render(
        request, "announcements.jinja", 400 if error else 200,
        items=items, audiences=audiences, error=error, max_chars=MAX_TEXT_CHARS,
        text=request.query.get("text", "")[:MAX_TEXT_CHARS],
        chosen=request.query.get("audience", ""),
    )  # fmt: skip


def _parse(form: dict[str, str]) -> tuple[str, Audience, str | None, dt.datetime | None]:
    text = form.get("text", "").replace("\r\n", "\n").strip()
    if not text or len(text) > MAX_TEXT_CHARS:
        raise ValueError(f"Nội dung cần từ 1 đến {MAX_TEXT_CHARS} ký tự.")
    try:
        audience = Audience.parse(form.get("audience", ""))
    except BadAudience as error:
        raise ValueError("Vui lòng chọn người nhận.") from error
    commune = form.get("commune", "").strip()[:100] or None
    at = form.get("send_at", "").strip()
    send_at = None
    if at:
        try:
            send_at = dt.datetime.fromisoformat(at).replace(tzinfo=VN_TZ).astimezone(dt.UTC)
        except ValueError as error:
            raise ValueError("Thời điểm gửi chưa đúng dạng ngày giờ.") from error
    return text, audience, commune, send_at


async def _form(request: web.Request) -> dict[str, str]:
    return {k: str(v) for k, v in (await request.post()).items()}


@allowed(OFFICE)
async def preview(request: web.Request) -> web.Response:
    """What people will read, how many get it, on which channels; then a confirm step."""
    form = await _form(request)
    try:
        text, audience, commune, send_at = _parse(form)
    except ValueError as error:
        return await _listing(request, str(error))
    app = context(request)
    async with app.open_db() as db:
        counts = await count_audience(db, audience, commune, app.clock.now())
    reply = say.announcement(text, to_subscribers=audience.kind != "signups")
    return render(
        request, "announcement_preview.jinja", form=form, preview=render_reply(reply),
        counts=counts, total=sum(counts.values()), send_at=send_at or app.clock.now(),
    )  # fmt: skip


@allowed(OFFICE)
async def create(request: web.Request) -> web.StreamResponse:
    form = await _form(request)
    try:
        text, _audience, commune, send_at = _parse(form)
    except ValueError as error:
        return await _listing(request, str(error))
    if form.get("confirm") != "yes":
        return await _listing(request, "Vui lòng xem trước và xác nhận trước khi gửi.")
    app = context(request)
    now = app.clock.now()
    who = account_of(request).username
    async with app.transaction() as db:
        created = await broadcasts.create(
            db, text=text, audience=form["audience"], commune=commune,
            send_at=send_at or now, created_by=f"dashboard:{who}", now=now,
        )  # fmt: skip
        await audit.record(
            db, actor=who, action="announcement.send", target=f"#{created.id}", now=now,
            details={"audience": form["audience"], "commune": commune or "",
                     "send_at": (send_at or now).isoformat()},
        )  # fmt: skip
    app.wake(JOB)
    raise web.HTTPSeeOther(f"{base(request)}/announcements/{created.id}")


async def delivery(db: AsyncSession, source: str) -> dict[str, dict[str, int]]:
    """Counts by status per channel (and "all"), from the outbox's status report."""
    channels = (
        (
            await db.execute(
                select(OutboxMessage.channel).where(OutboxMessage.source == source).distinct()
            )
        )
        .scalars()
        .all()
    )
    found: dict[str, dict[str, int]] = {}
    for channel in [None, *sorted(channels)]:
        conditions = [OutboxMessage.source == source]
        if channel is not None:
            conditions.append(OutboxMessage.channel == channel)
        report = await outbox_reports.status_report(db, *conditions)
        counts = dict(report.by_status)
        counts["in_doubt"] = report.in_doubt_not_resent
        counts["total"] = sum(report.by_status.values())
        counts["done"] = sum(n for s, n in report.by_status.items() if s in FINISHED)
        found[channel or "all"] = counts
    return found


async def _progress(request: web.Request) -> dict[str, Any]:
    app = context(request)
    async with app.open_db() as db:
        item = await broadcasts.get(db, int(request.match_info["id"]))
        if item is None:
            raise web.HTTPNotFound()
        counts = await delivery(db, broadcasts.source_of(item.id))
    total, done = counts["all"]["total"], counts["all"]["done"]
    finished = item.status in (BroadcastStatus.QUEUED, BroadcastStatus.CANCELLED) and done == total
    percent = 100 if finished and total == 0 else round(100 * done / total) if total else 0
    return {"item": item, "counts": counts, "percent": percent, "finished": finished}


@allowed(OFFICE)
async def progress(request: web.Request) -> web.Response:
    """The delivery; the page's script (static/dashboard.js) polls `progress_json`."""
    found = await _progress(request)
    return render(request, "announcement.jinja", labels=say.AUDIENCE_LABELS, **found)


@allowed(OFFICE)
async def progress_json(request: web.Request) -> web.Response:
    found = await _progress(request)
    status = str(found["item"].status)
    return web.json_response(
        {"percent": found["percent"], "finished": found["finished"], "status": status,
         "counts": found["counts"]},
        headers={"Cache-Control": "no-store"},
    )  # fmt: skip


@allowed(OFFICE)
async def cancel(request: web.Request) -> web.StreamResponse:
    app = context(request)
    announcement_id = int(request.match_info["id"])
    async with app.transaction() as db:
        dropped = await broadcasts.cancel(db, announcement_id, app.clock.now())
        if dropped is None:
            raise web.HTTPNotFound()
        await audit.record(
            db, actor=account_of(request).username, action="announcement.cancel",
            target=f"#{announcement_id}", now=app.clock.now(), details={"dropped": dropped},
        )  # fmt: skip
    raise web.HTTPSeeOther(f"{base(request)}/announcements/{announcement_id}")


@allowed(OFFICE)
async def calendar(request: web.Request) -> web.Response:
    """The campaign's ten days: each day's reminder as sent, and its delivery so far."""
    app = context(request)
    now = app.clock.now()
    first, last = campaign_dates(app.settings, now)
    days = []
    async with app.open_db() as db:
        for offset in range((last - first).days + 1):
            day = first + dt.timedelta(days=offset)
            content = await load_day(app.settings, app.knowledge, db, day, now)
            counts = (await delivery(db, f"campaign:{day.isoformat()}"))["all"]
            days.append({"day": day, "preview": render_reminder(content, None) if content else None,
                         "counts": counts})  # fmt: skip
    return render(request, "calendar.jinja", days=days)
