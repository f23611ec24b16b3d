"""Who may see what: the navigation and the role check every page declares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import wraps

from aiohttp import web

from storage.models import DashboardAccount, DashboardRole

# What the guard (auth.py) leaves on a request for the pages: who is logged in, and the
# CSRF token their forms must send back.
ACCOUNT = web.RequestKey("account", DashboardAccount)
CSRF = web.RequestKey("csrf", str)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ADMIN = frozenset({DashboardRole.ADMIN})
OFFICE = frozenset({DashboardRole.ADMIN, DashboardRole.ORGANIZER})
EVERYONE = frozenset(DashboardRole)


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str
    roles: frozenset[DashboardRole]


NAV = (
    NavItem("/overview", "Tổng quan", OFFICE),
    NavItem("/sessions", "Buổi hỗ trợ", OFFICE),
    NavItem("/checkin", "Điểm danh", EVERYONE),
    NavItem("/announcements", "Thông báo", OFFICE),
    NavItem("/calendar", "Lịch chiến dịch", OFFICE),
    NavItem("/tickets", "Hỗ trợ trực tiếp", OFFICE),
    NavItem("/questions", "Câu hỏi", OFFICE),
    NavItem("/accounts", "Tài khoản", ADMIN),
    NavItem("/audit", "Nhật ký", ADMIN),
)


def account_of(request: web.Request) -> DashboardAccount:
    """The logged-in account (the guard middleware put it there)."""
    account = request[ACCOUNT]
    return account


def allowed(roles: frozenset[DashboardRole]) -> Callable[[Handler], Handler]:
    """Only these roles reach the page; anyone else gets 403."""

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def checked(request: web.Request) -> web.StreamResponse:
            if account_of(request).role not in roles:
                raise forbidden(request)
            return await handler(request)

        return checked

    return decorate


def forbidden(request: web.Request) -> web.HTTPForbidden:
    """A 403 with a polite page (rendered lazily to avoid a circular import)."""
    from handlers.dashboard.pages import error_page

    return web.HTTPForbidden(
        text=error_page(request, "Bạn chưa có quyền xem trang này.", 403),
        content_type="text/html",
    )
