"""Help sessions: seats, waitlists, attendance; a printable attendee list; the CSV export."""

from __future__ import annotations

import io

from aiohttp import web

from bot.clock import to_local
from handlers.dashboard.charts import capacity_bar
from handlers.dashboard.pages import context, render
from handlers.dashboard.roles import OFFICE, account_of, allowed
from handlers.signup.cli import write_csv
from handlers.signup.texts import STATUS_LABELS
from storage import attendance, audit, help_sessions, signups
from storage.models import Signup


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/sessions", listing)
    router.add_get("/sessions/{id:[0-9]{1,9}}", detail)
    router.add_post("/sessions/{id:[0-9]{1,9}}/reveal/{signup:[0-9]{1,9}}", reveal)
    router.add_post("/sessions/{id:[0-9]{1,9}}/export", export)


@allowed(OFFICE)
async def listing(request: web.Request) -> web.Response:
    app = context(request)
    now = app.clock.now()
    async with app.open_db() as db:
        rows = await help_sessions.all_sessions(db)
        figures = await attendance.per_session(db, [s.session.id for s in rows])
    items = [
        {
            "seats": seats,
            "bar": capacity_bar(seats.confirmed, seats.session.capacity),
            "figures": figures[seats.session.id],
            "started": seats.session.starts_at <= now,
        }
        for seats in rows
    ]
    return render(request, "sessions.jinja", items=items)


async def _detail(request: web.Request, revealed: Signup | None = None) -> web.Response:
    app = context(request)
    async with app.open_db() as db:
        seats = await help_sessions.session_seats(db, int(request.match_info["id"]))
        if seats is None:
            raise web.HTTPNotFound()
        people = await attendance.attendees(db, seats.session.id)
        figures = (await attendance.per_session(db, [seats.session.id]))[seats.session.id]
    return render(
        request,
        "session.jinja",
        seats=seats,
        people=people,
        figures=figures,
        started=seats.session.starts_at <= app.clock.now(),
        revealed=revealed.id if revealed else None,
        statuses=STATUS_LABELS,
        bar=capacity_bar(seats.confirmed, seats.session.capacity),
    )


@allowed(OFFICE)
async def detail(request: web.Request) -> web.Response:
    return await _detail(request)


@allowed(OFFICE)
async def reveal(request: web.Request) -> web.Response:
    """Show one person's full phone number: a POST, written to the audit log."""
    app = context(request)
    async with app.transaction() as db:
        signup = await db.get(Signup, int(request.match_info["signup"]))
        if signup is None or signup.session_id != int(request.match_info["id"]):
            raise web.HTTPNotFound()
        await audit.record(
            db, actor=account_of(request).username, action="phone.reveal",
            target=signup.code, now=app.clock.now(),
        )  # fmt: skip
    return await _detail(request, signup)


@allowed(OFFICE)
async def export(request: web.Request) -> web.Response:
    """The session's sign-ups as the CLI's CSV (UTF-8 with BOM, for Excel); audited."""
    app = context(request)
    async with app.transaction() as db:
        seats = await help_sessions.session_seats(db, int(request.match_info["id"]))
        if seats is None:
            raise web.HTTPNotFound()
        rows = await signups.export_rows(db, seats.session.slug)
        await audit.record(
            db, actor=account_of(request).username, action="signups.export",
            target=seats.session.slug, now=app.clock.now(), details={"rows": len(rows)},
        )  # fmt: skip
    buffer = io.StringIO()
    write_csv(buffer, rows)
    name = f"dang-ky-{seats.session.slug}-{to_local(app.clock.now()):%Y%m%d}.csv"
    return web.Response(
        body=buffer.getvalue().encode("utf-8-sig"),
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
