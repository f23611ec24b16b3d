"""Check-in at the door, phone first: a booking code, the person, "có mặt"; walk-ins."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.dashboard.pages import context, render
from handlers.dashboard.roles import EVERYONE, account_of, allowed, forbidden
from handlers.signup.validation import normalize_phone
from storage import attendance, audit, dashboard_accounts, help_sessions, signups
from storage.help_sessions import SessionSeats
from storage.models import DashboardRole, Signup, SignupStatus


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/checkin", page)
    router.add_post("/checkin/lookup", lookup)
    router.add_post("/checkin/{signup:[0-9]{1,9}}/attend", attend)
    router.add_post("/checkin/walk-in", walk_in)


async def _sessions(request: web.Request, db: AsyncSession) -> list[SessionSeats]:
    """The sessions this account may check people in at (door volunteers: assigned ones)."""
    account = account_of(request)
    rows = await help_sessions.all_sessions(db)
    if account.role != DashboardRole.DOOR:
        return rows
    mine = await dashboard_accounts.assigned_sessions(db, account.id)
    return [s for s in rows if s.session.id in mine]


async def _render(request: web.Request, status: int = 200, **values: object) -> web.Response:
    app = context(request)
    async with app.open_db() as db:
        sessions = await _sessions(request, db)
    chosen = request.query.get("session", "")
    return render(
        request, "checkin.jinja", status, sessions=sessions, chosen=chosen,
        **{"found": None, "message": None, "error": None, **values},
    )  # fmt: skip


@allowed(EVERYONE)
async def page(request: web.Request) -> web.Response:
    """The page; with ?code=..., straight to that booking (a link or QR code can carry it)."""
    code = request.query.get("code")
    return await _render(request) if code is None else await _lookup(request, code)


def _clean_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())[:12]


async def _allowed_signup(request: web.Request, db: AsyncSession, signup: Signup | None) -> bool:
    if signup is None:
        return False
    return signup.session_id in {s.session.id for s in await _sessions(request, db)}


@allowed(EVERYONE)
async def lookup(request: web.Request) -> web.Response:
    form = await request.post()
    return await _lookup(request, str(form.get("code", "")))


async def _lookup(request: web.Request, typed: str) -> web.Response:
    code = _clean_code(typed)
    app = context(request)
    async with app.open_db() as db:
        signup = await signups.find_by_code(db, code) if signups.is_code(code) else None
        if signup is not None and not await _allowed_signup(request, db, signup):
            raise forbidden(request)
        session = await attendance.session_of(db, signup) if signup else None
    if signup is None or session is None:
        error = f"Không tìm thấy mã “{code}”. Vui lòng kiểm tra lại từng ký tự."
        return await _render(request, 404, error=error)
    return await _render(request, found={"signup": signup, "session": session})


@allowed(EVERYONE)
async def attend(request: web.Request) -> web.Response:
    """Mark the person as here; a second tap changes nothing (and says so)."""
    app = context(request)
    async with app.transaction() as db:
        signup = await db.get(Signup, int(request.match_info["signup"]))
        if not await _allowed_signup(request, db, signup):
            raise forbidden(request)
        assert signup is not None
        if signup.status != SignupStatus.CONFIRMED:
            message = None
            error = "Người này đang trong danh sách chờ hoặc đã hủy, chưa có chỗ ở buổi này."
        elif await attendance.check_in(db, signup, app.clock.now()):
            await audit.record(
                db, actor=account_of(request).username, action="checkin",
                target=signup.code, now=app.clock.now(), details={"session": signup.session_id},
            )  # fmt: skip
            message, error = f"Đã ghi nhận {signup.full_name} có mặt. Cảm ơn bạn!", None
        else:
            message, error = f"{signup.full_name} đã được điểm danh trước đó rồi.", None
        session = await attendance.session_of(db, signup)
    return await _render(
        request, message=message, error=error, found={"signup": signup, "session": session}
    )


@allowed(EVERYONE)
async def walk_in(request: web.Request) -> web.Response:
    """Someone without a booking: written down only with their explicit consent."""
    form = await request.post()
    app = context(request)
    name = " ".join(str(form.get("full_name", "")).split())[:100]
    typed_phone = str(form.get("phone", "")).strip()
    phone = normalize_phone(typed_phone) or ""
    if typed_phone and not phone:
        return await _render(request, 400, error="Số điện thoại chưa đúng, vui lòng kiểm tra lại.")
    need = " ".join(str(form.get("need", "")).split())[:300]
    session_id = str(form.get("session", ""))
    if form.get("consent") != "yes" or not name or not session_id.isdigit():
        error = "Cần họ tên, buổi hỗ trợ và sự đồng ý của người đến thì mới ghi danh được."
        return await _render(request, 400, error=error)
    async with app.transaction() as db:
        if int(session_id) not in {s.session.id for s in await _sessions(request, db)}:
            raise forbidden(request)
        signup = await attendance.add_walk_in(
            db, session_id=int(session_id), full_name=name, phone=phone, need=need,
            now=app.clock.now(),
        )  # fmt: skip
        assert signup is not None
        await audit.record(
            db, actor=account_of(request).username, action="checkin.walk_in",
            target=signup.code, now=app.clock.now(), details={"session": signup.session_id},
        )  # fmt: skip
    return await _render(request, message=f"Đã ghi danh {name} (đến trực tiếp). Cảm ơn bạn!")
