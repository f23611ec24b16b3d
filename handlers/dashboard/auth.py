"""Log-in, log-out, and the guard in front of every page: session, idle timeout, CSRF.

The session lives in an encrypted, signed cookie (aiohttp-session's EncryptedCookieStorage,
keyed by DASHBOARD_SECRET_KEY); it holds the account id, the CSRF token and the time of the
last request. The account is re-read on every request, so disabling it logs it out at once.
"""

from __future__ import annotations

import hmac
import logging
import secrets

from aiohttp import web
from aiohttp_session import Session, get_session, new_session

from bot.client_address import client_address, networks
from handlers.dashboard.limits import LoginLimiter
from handlers.dashboard.pages import base, context, error_page, render
from handlers.dashboard.passwords import verify_password
from handlers.dashboard.roles import ACCOUNT, CSRF, Handler
from storage import audit, dashboard_accounts
from storage.models import DashboardRole

logger = logging.getLogger(__name__)

LIMITER_KEY: web.AppKey[LoginLimiter] = web.AppKey("login_limiter", LoginLimiter)
PUBLIC_ROUTES = frozenset({"login", "login-form", "static", "static-js"})
SAFE_METHODS = frozenset({"GET", "HEAD"})


def client_of(request: web.Request) -> str:
    """The client address; behind a proxy listed in WEB_TRUSTED_PROXIES, the forwarded one."""
    return client_address(request, networks(context(request).settings.web_trusted_proxies))


def _csrf(session: Session) -> str:
    token = session.get("csrf")
    if not isinstance(token, str) or len(token) < 32:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _forbidden(request: web.Request, message: str) -> web.HTTPForbidden:
    return web.HTTPForbidden(text=error_page(request, message, 403), content_type="text/html")


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Nothing but the log-in page without a live session; every POST needs the CSRF token."""
    session = await get_session(request)
    request[CSRF] = token = _csrf(session)
    if request.method not in SAFE_METHODS:
        form = await request.post()
        sent = form.get("csrf")
        if not isinstance(sent, str) or not hmac.compare_digest(sent, token):
            raise _forbidden(request, "Phiên làm việc đã hết hạn. Vui lòng tải lại trang.")
    route = request.match_info.route.name
    if route in PUBLIC_ROUTES:
        return await handler(request)
    app = context(request)
    now = app.clock.now().timestamp()
    idle = app.settings.dashboard_idle_minutes * 60
    account_id, seen = session.get("account"), session.get("seen")
    account = None
    if isinstance(account_id, int) and isinstance(seen, (int, float)) and now - seen <= idle:
        async with app.open_db() as db:
            account = await dashboard_accounts.get(db, account_id)
    if account is None or account.disabled_at is not None:
        expired = account_id is not None
        if expired:  # logged out: nothing of that session is kept (a new token next time)
            session.invalidate()
        if request.method not in SAFE_METHODS:
            raise _forbidden(request, "Vui lòng đăng nhập lại.")
        raise web.HTTPFound(f"{base(request)}/login" + ("?expired=1" if expired else ""))
    session["seen"] = now
    request[ACCOUNT] = account
    return await handler(request)


async def login_page(request: web.Request) -> web.Response:
    expired = request.query.get("expired") == "1"
    return render(request, "login.jinja", expired=expired, error=None, username="")


async def login(request: web.Request) -> web.StreamResponse:
    """Check the password (rate-limited per account and per client) and start a session."""
    form = await request.post()
    username = str(form.get("username", "")).strip()[:64]
    password = str(form.get("password", ""))[:1024]
    client = client_of(request)
    limiter = request.config_dict[LIMITER_KEY]
    app = context(request)
    if not limiter.allowed(username, client):
        logger.warning("dashboard log-in refused: too many failures")
        message = "Đăng nhập sai quá nhiều lần. Vui lòng chờ 15 phút rồi thử lại."
        return render(request, "login.jinja", 429, error=message, username=username)
    async with app.transaction() as db:
        account = await dashboard_accounts.by_username(db, username)
        ok = verify_password(account.password_hash if account else None, password)
        if not ok or account is None or account.disabled_at is not None:
            limiter.failed(username, client)
            logger.info("dashboard log-in failed")
            message = "Tên đăng nhập hoặc mật khẩu chưa đúng. Vui lòng thử lại."
            return render(request, "login.jinja", 401, error=message, username=username)
        await audit.record(db, actor=account.username, action="login", now=app.clock.now())
    limiter.succeeded(username)
    session = await new_session(request)
    session["account"] = account.id
    session["seen"] = app.clock.now().timestamp()
    session["csrf"] = secrets.token_urlsafe(32)
    home = "/checkin" if account.role == DashboardRole.DOOR else "/overview"
    raise web.HTTPFound(base(request) + home)


async def logout(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    session.invalidate()
    raise web.HTTPFound(f"{base(request)}/login")
