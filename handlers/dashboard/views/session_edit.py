"""Creating, editing and deleting help sessions, and importing a session file with a dry run
first: the same rules as `sessions import` (capacity never below the confirmed sign-ups, a
session with sign-ups is never deleted, people moved up from a waitlist are told)."""

from __future__ import annotations

import asyncio
import datetime as dt
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.clock import VN_TZ, to_local
from handlers.dashboard.pages import base, context, render
from handlers.dashboard.roles import OFFICE, account_of, allowed
from handlers.signup.cli import apply_sessions
from handlers.signup.sessions_file import SessionFileError, load_sessions
from storage import audit, help_sessions
from storage.help_sessions import ImportReport, SessionSpec
from storage.models import HelpSession

MAX_FILE_BYTES = 512 * 1024
SLUG_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


class _Rollback(Exception):
    """Leave the transaction without keeping anything (a dry run, a refused change)."""


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/sessions/new", new_form)
    router.add_post("/sessions/new", save)
    router.add_get("/sessions/{id:[0-9]{1,9}}/edit", edit_form)
    router.add_post("/sessions/{id:[0-9]{1,9}}/edit", save)
    router.add_post("/sessions/{id:[0-9]{1,9}}/delete", delete)
    router.add_get("/sessions/import", import_form)
    router.add_post("/sessions/import", import_file)


def _values(session: HelpSession | None) -> dict[str, str]:
    if session is None:
        return {"capacity": "30", "start": "07:30", "end": "11:00"}
    start, end = to_local(session.starts_at), to_local(session.ends_at)
    return {
        "slug": session.slug, "title": session.title, "place": session.place,
        "address": session.address, "commune": session.commune,
        "date": f"{start:%Y-%m-%d}", "start": f"{start:%H:%M}", "end": f"{end:%H:%M}",
        "capacity": str(session.capacity), "topics": "\n".join(session.topics),
        "bring": session.bring, "contact": session.contact,
    }  # fmt: skip


def _spec(form: dict[str, str]) -> SessionSpec:
    """The form as a session; ValueError (in Vietnamese) for what is missing or wrong."""
    slug = form.get("slug", "").strip().lower()
    if not slug or len(slug) > 64 or not set(slug) <= SLUG_CHARS:
        raise ValueError("Mã buổi chỉ gồm chữ thường không dấu, số và dấu gạch (tối đa 64).")
    for name, label in (("title", "tên buổi"), ("place", "địa điểm"), ("commune", "xã/phường")):
        if not form.get(name, "").strip():
            raise ValueError(f"Vui lòng điền {label}.")
    try:
        day = dt.date.fromisoformat(form.get("date", ""))
        start = dt.time.fromisoformat(form.get("start", ""))
        end = dt.time.fromisoformat(form.get("end", ""))
        capacity = int(form.get("capacity", ""))
    except ValueError as error:
        raise ValueError("Ngày, giờ hoặc số chỗ chưa đúng.") from error
    starts_at = dt.datetime.combine(day, start, tzinfo=VN_TZ).astimezone(dt.UTC)
    ends_at = dt.datetime.combine(day, end, tzinfo=VN_TZ).astimezone(dt.UTC)
    if ends_at <= starts_at or not 1 <= capacity <= 10_000:
        raise ValueError("Giờ kết thúc phải sau giờ bắt đầu, số chỗ từ 1 đến 10.000.")
    topics = tuple(t.strip() for t in form.get("topics", "").splitlines() if t.strip())
    return SessionSpec(
        slug=slug, title=form["title"].strip()[:200], place=form["place"].strip()[:200],
        address=form.get("address", "").strip()[:300], commune=form["commune"].strip()[:100],
        starts_at=starts_at, ends_at=ends_at, capacity=capacity, topics=topics,
        bring=form.get("bring", "").strip(), contact=form.get("contact", "").strip()[:200],
    )  # fmt: skip


def _form_page(
    request: web.Request, values: dict[str, str], *, error: str | None = None, status: int = 200
) -> web.Response:
    editing = "id" in request.match_info
    return render(request, "session_form.jinja", status, v=values, error=error, editing=editing)


@allowed(OFFICE)
async def new_form(request: web.Request) -> web.Response:
    return _form_page(request, _values(None))


@allowed(OFFICE)
async def edit_form(request: web.Request) -> web.Response:
    app = context(request)
    async with app.open_db() as db:
        session = await db.get(HelpSession, int(request.match_info["id"]))
    if session is None:
        raise web.HTTPNotFound()
    return _form_page(request, _values(session))


def _told(report: ImportReport) -> str:
    if report.promoted:
        return f" {len(report.promoted)} người trong danh sách chờ đã có chỗ và được báo tin."
    return ""


@allowed(OFFICE)
async def save(request: web.Request) -> web.Response:
    """Create or update one session through the import rules; offer an announcement when
    its time or place changed while people are signed up."""
    form = {k: str(v) for k, v in (await request.post()).items()}
    app = context(request)
    now = app.clock.now()
    editing = request.match_info.get("id")
    try:
        spec = _spec(form)
    except ValueError as error:
        return _form_page(request, form, error=str(error), status=400)
    try:
        async with app.transaction() as db:
            existing = await help_sessions.session_by_slug(db, spec.slug)
            if (existing is None) == (editing is not None) or (
                existing is not None and str(existing.id) != editing
            ):
                raise _Rollback("Mã buổi này đã có buổi khác dùng." if existing else "")
            changed = help_sessions.changes(existing, spec) if existing else []
            report = await apply_sessions(db, [spec], now)
            if report.refused:
                raise _Rollback(
                    "Không lưu được: số chỗ không được ít hơn số người đã được xác nhận."
                )
            action = "session.edit" if existing else "session.create"
            await audit.record(
                db, actor=account_of(request).username, action=action, target=spec.slug,
                now=now, details={"changed": changed, "promoted": len(report.promoted)},
            )  # fmt: skip
    except _Rollback as refused:
        message = str(refused) or "Không tìm thấy buổi này."
        return _form_page(request, form, error=message, status=400)
    offer = None
    if report.warnings:
        when = f"{to_local(spec.starts_at):%H:%M ngày %d/%m/%Y}"
        text = (
            f"Buổi “{spec.title}” có thay đổi: bắt đầu lúc {when} tại {spec.place}, "
            f"{spec.address}. Mong bà con thông cảm và đến đúng giờ ạ."
        )
        offer = f"{base(request)}/announcements?" + urlencode(
            {"audience": f"signups:{spec.slug}", "text": text}
        )
    return render(
        request, "session_saved.jinja", spec=spec, offer=offer,
        message=("Đã lưu buổi hỗ trợ." + _told(report)),
    )  # fmt: skip


@allowed(OFFICE)
async def delete(request: web.Request) -> web.StreamResponse:
    """Delete a session nobody is signed up for; otherwise say who is still signed up."""
    app = context(request)
    session_id = int(request.match_info["id"])
    async with app.transaction() as db:
        session = await db.get(HelpSession, session_id)
        slug = session.slug if session else ""
        blocking = await help_sessions.delete_if_empty(db, session_id)
        if blocking == 0:
            await audit.record(
                db, actor=account_of(request).username, action="session.delete",
                target=slug, now=app.clock.now(),
            )  # fmt: skip
    if blocking is None:
        raise web.HTTPNotFound()
    if blocking:
        message = (
            f"Buổi này còn {blocking} người đăng ký nên chưa xóa được. Hãy báo cho họ (gửi "
            "thông báo tới người đăng ký buổi này) và hủy các lượt đăng ký trước."
        )
        offer = f"{base(request)}/announcements?" + urlencode({"audience": f"signups:{slug}"})
        return render(request, "session_saved.jinja", spec=None, offer=offer, message=message)
    raise web.HTTPSeeOther(f"{base(request)}/sessions")


@allowed(OFFICE)
async def import_form(request: web.Request) -> web.Response:
    return render(request, "session_import.jinja", report=None, problems=[], yaml_text="")


def _parse_file(text: str, year: int | None, now: dt.datetime) -> list[SessionSpec]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sessions.yaml"
        path.write_text(text, encoding="utf-8")
        return load_sessions(path, year, now)


async def _uploaded(request: web.Request) -> tuple[str, bool]:
    form = await request.post()
    upload: Any = form.get("file")
    if upload is not None and hasattr(upload, "file"):
        raw = await asyncio.to_thread(upload.file.read, MAX_FILE_BYTES + 1)
    else:
        raw = str(form.get("yaml", "")).encode("utf-8")
    if len(raw) > MAX_FILE_BYTES:
        raise web.HTTPRequestEntityTooLarge(MAX_FILE_BYTES, len(raw))
    return raw.decode("utf-8", errors="replace"), form.get("apply") == "yes"


@allowed(OFFICE)
async def import_file(request: web.Request) -> web.Response:
    """A dry run first: what would be created, changed (field by field), kept or refused;
    then "apply" runs the same import for real."""
    app = context(request)
    now = app.clock.now()
    text, apply = await _uploaded(request)
    try:
        specs = await asyncio.to_thread(_parse_file, text, app.settings.campaign_year, now)
    except SessionFileError as error:
        problems = [p.split("sessions.yaml", 1)[-1].lstrip(":") for p in error.problems]
        return render(
            request, "session_import.jinja", 400, report=None, problems=problems, yaml_text=""
        )
    diff: dict[str, list[str]] = {}
    try:
        async with app.transaction() as db:
            for spec in specs:
                found = await help_sessions.session_by_slug(db, spec.slug)
                if found is not None:
                    diff[spec.slug] = help_sessions.changes(found, spec)
            report = await apply_sessions(db, specs, now)
            if report.refused or not apply:
                raise _Rollback()
            await audit.record(
                db, actor=account_of(request).username, action="sessions.import", now=now,
                details={"created": len(report.created), "updated": len(report.updated),
                         "promoted": len(report.promoted)},
            )  # fmt: skip
    except _Rollback:
        applied = False
    else:
        applied = True
    return render(
        request, "session_import.jinja", report=report, diff=diff, applied=applied,
        problems=[], yaml_text=text,
    )  # fmt: skip
