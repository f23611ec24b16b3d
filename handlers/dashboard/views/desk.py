"""Tickets (questions handed to volunteers) and questions: unanswered ones grouped as
`faq unanswered` groups them, and volunteers' FAQ drafts to approve or reject."""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics

from aiohttp import web

from bot.clock import to_local
from bot.context import load_knowledge
from faq.grouping import group_similar
from handlers.dashboard.figures import duration_vi
from handlers.dashboard.pages import base, context, render
from handlers.dashboard.roles import OFFICE, account_of, allowed
from handlers.volunteers import drafts
from handlers.volunteers.cli import approve_draft
from storage import audit, faq_drafts, tickets, unanswered
from storage.models import FaqDraftStatus, TicketRating, TicketStatus

DAYS = 30


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/tickets", ticket_page)
    router.add_get("/questions", questions_page)
    router.add_post("/questions/drafts/{id:[0-9]{1,9}}/approve", approve)
    router.add_post("/questions/drafts/{id:[0-9]{1,9}}/reject", reject)


def _median(spans: list[dt.timedelta]) -> str:
    if not spans:
        return "–"
    return duration_vi(dt.timedelta(seconds=statistics.median(s.total_seconds() for s in spans)))


@allowed(OFFICE)
async def ticket_page(request: web.Request) -> web.Response:
    """Open tickets, the longest wait first, and the last 30 days' figures (`tickets stats`)."""
    app = context(request)
    now = app.clock.now()
    async with app.open_db() as db:
        rows = await tickets.recent(db, now - dt.timedelta(days=DAYS))
        waiting = await tickets.with_status(db, TicketStatus.WAITING)
        claimed = await tickets.with_status(db, TicketStatus.CLAIMED)
    waiting.sort(key=lambda t: t.waiting_since)
    return render(
        request,
        "tickets.jinja",
        waiting=[(t, duration_vi(now - t.waiting_since)) for t in waiting],
        claimed=[(t, duration_vi(now - t.last_activity_at)) for t in claimed],
        opened=len(rows),
        to_claim=_median([t.claimed_at - t.opened_at for t in rows if t.claimed_at]),
        to_answer=_median([t.first_answer_at - t.opened_at for t in rows if t.first_answer_at]),
        helpful=sum(t.rating == TicketRating.HELPFUL for t in rows),
        unhelpful=sum(t.rating == TicketRating.NOT_HELPFUL for t in rows),
        days=DAYS,
    )


async def _questions(request: web.Request, message: str | None = None) -> web.Response:
    app = context(request)
    async with app.open_db() as db:
        rows = list(await unanswered.list_since(db))
        pending = await faq_drafts.listing(db, FaqDraftStatus.PENDING)
    groups = []
    for group in group_similar([row.text for row in rows])[:30]:
        sample = [rows[i] for i in group]
        best = max(sample, key=lambda row: row.best_score)
        groups.append({"count": len(group), "texts": [r.text for r in sample[:4]], "best": best})
    return render(
        request, "questions.jinja", groups=groups, total=len(rows), drafts=pending,
        topics=app.knowledge.topics, message=message,
    )  # fmt: skip


@allowed(OFFICE)
async def questions_page(request: web.Request) -> web.Response:
    return await _questions(request)


@allowed(OFFICE)
async def approve(request: web.Request) -> web.Response:
    """Write the entry as `faq drafts approve` does, then reload the knowledge base so the
    bot answers with it at once (in this process; other workers on their next restart)."""
    app = context(request)
    form = await request.post()
    draft_id = int(request.match_info["id"])
    now = app.clock.now()
    try:
        async with app.transaction() as db:
            approval, _ = await approve_draft(
                db, app.settings, draft_id, str(form.get("topic", "")),
                to_local(now).date(), now,
                str(form.get("question", "")).strip() or None,
                str(form.get("answer", "")).strip() or None,
            )  # fmt: skip
            await audit.record(
                db, actor=account_of(request).username, action="faq_draft.approve",
                target=f"#{draft_id}", now=now,
                details={"entry": approval.entry_id, "topic": approval.topic},
            )  # fmt: skip
    except drafts.ApprovalError:
        return await _questions(request, "Chưa duyệt được bản nháp này: vui lòng chọn chủ đề.")
    knowledge = await asyncio.to_thread(load_knowledge, app.settings)
    app.knowledge, app.matcher = knowledge.base, knowledge.matcher
    return await _questions(request, f"Đã duyệt: câu trả lời {approval.entry_id} đã được thêm.")


@allowed(OFFICE)
async def reject(request: web.Request) -> web.StreamResponse:
    app = context(request)
    draft_id = int(request.match_info["id"])
    async with app.transaction() as db:
        if await faq_drafts.decide(db, draft_id, FaqDraftStatus.REJECTED, app.clock.now()):
            await audit.record(
                db, actor=account_of(request).username, action="faq_draft.reject",
                target=f"#{draft_id}", now=app.clock.now(),
            )  # fmt: skip
    raise web.HTTPSeeOther(f"{base(request)}/questions")
