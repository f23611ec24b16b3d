"""The overview: questions, sign-ups, reminders, tickets, attendance, per-day charts."""

from __future__ import annotations

from aiohttp import web

from handlers.dashboard.charts import bar_chart
from handlers.dashboard.figures import duration_vi, overview
from handlers.dashboard.pages import context, render
from handlers.dashboard.roles import OFFICE, allowed
from handlers.faq import tally


@allowed(OFFICE)
async def page(request: web.Request) -> web.Response:
    app = context(request)
    await tally.write(app)  # this worker's latest questions too (others' within seconds)
    async with app.open_db() as db:
        figures = await overview(db, app.clock.now())
    return render(
        request,
        "overview.jinja",
        f=figures,
        wait=duration_vi(figures.median_wait) if figures.median_wait else "–",
        questions_chart=bar_chart(figures.questions_per_day, "Câu hỏi mỗi ngày"),
        signups_chart=bar_chart(figures.signups_per_day, "Lượt đăng ký mỗi ngày"),
    )
