"""Accounts (admin only): create, disable, door assignments; and the audit log."""

from __future__ import annotations

from aiohttp import web

from handlers.dashboard import account_admin
from handlers.dashboard.pages import base, context, render
from handlers.dashboard.passwords import WeakPassword
from handlers.dashboard.roles import ADMIN, account_of, allowed
from storage import audit, dashboard_accounts, help_sessions
from storage.models import DashboardRole

ROLE_LABELS = {
    DashboardRole.ADMIN: "Quản trị",
    DashboardRole.ORGANIZER: "Ban tổ chức",
    DashboardRole.DOOR: "Tình nguyện viên điểm danh",
}


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/accounts", page)
    router.add_post("/accounts", create)
    router.add_post("/accounts/{username}/disable", disable)
    router.add_post("/accounts/{username}/enable", enable)
    router.add_post("/accounts/{username}/assign", assign)
    router.add_get("/audit", audit_page)


async def _render(
    request: web.Request, message: str | None = None, status: int = 200
) -> web.Response:
    app = context(request)
    async with app.open_db() as db:
        accounts = list(await dashboard_accounts.listing(db))
        sessions = [s.session for s in await help_sessions.all_sessions(db)]
        slugs = {s.id: s.slug for s in sessions}
        assigned = {
            a.id: sorted(
                slugs.get(i, "?") for i in await dashboard_accounts.assigned_sessions(db, a.id)
            )
            for a in accounts
        }
    return render(
        request, "accounts.jinja", status, accounts=accounts, assigned=assigned,
        sessions=sessions, roles=ROLE_LABELS, message=message,
    )  # fmt: skip


@allowed(ADMIN)
async def page(request: web.Request) -> web.Response:
    return await _render(request)


@allowed(ADMIN)
async def create(request: web.Request) -> web.Response:
    form = await request.post()
    app = context(request)
    try:
        role = DashboardRole(str(form.get("role", "")))
        async with app.transaction() as db:
            await account_admin.add(
                db,
                username=str(form.get("username", "")),
                role=role,
                password=str(form.get("password", "")),
                display_name=str(form.get("display_name", "")),
                actor=account_of(request).username,
                now=app.clock.now(),
            )
    except (ValueError, account_admin.AccountError, WeakPassword):
        message = (
            "Chưa tạo được tài khoản: tên đăng nhập chỉ gồm chữ thường không dấu, số, dấu "
            "chấm hoặc gạch (chưa ai dùng), mật khẩu ít nhất 10 ký tự."
        )
        return await _render(request, message, 400)
    return await _render(request, "Đã tạo tài khoản.")


async def _set_disabled(request: web.Request, disabled: bool) -> web.StreamResponse:
    app = context(request)
    try:
        async with app.transaction() as db:
            await account_admin.set_disabled(
                db, request.match_info["username"], disabled,
                account_of(request).username, app.clock.now(),
            )  # fmt: skip
    except account_admin.AccountError as error:
        raise web.HTTPNotFound() from error
    raise web.HTTPSeeOther(f"{base(request)}/accounts")


@allowed(ADMIN)
async def disable(request: web.Request) -> web.StreamResponse:
    return await _set_disabled(request, True)


@allowed(ADMIN)
async def enable(request: web.Request) -> web.StreamResponse:
    return await _set_disabled(request, False)


@allowed(ADMIN)
async def assign(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    app = context(request)
    try:
        async with app.transaction() as db:
            await account_admin.assign(
                db, request.match_info["username"], str(form.get("session", "")),
                account_of(request).username, app.clock.now(), on=form.get("on") != "0",
            )  # fmt: skip
    except account_admin.AccountError:
        return await _render(request, "Chỉ gán buổi cho tài khoản điểm danh.", 400)
    raise web.HTTPSeeOther(f"{base(request)}/accounts")


@allowed(ADMIN)
async def audit_page(request: web.Request) -> web.Response:
    app = context(request)
    async with app.open_db() as db:
        entries = await audit.recent(db, 300)
    return render(request, "audit.jinja", entries=entries)
