"""The dashboard's aiohttp application, and whether this deployment serves it."""

from __future__ import annotations

import logging
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import setup as setup_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography.fernet import Fernet

from bot.context import AppContext
from bot.features import WebPart
from handlers.dashboard import auth, views
from handlers.dashboard.limits import LoginLimiter
from handlers.dashboard.pages import APP_KEY, BASE_KEY, filters
from handlers.dashboard.roles import Handler

logger = logging.getLogger(__name__)

PREFIX = "/dashboard"
HERE = Path(__file__).resolve().parent
COOKIE = "cds_dashboard"


def web_part(app: AppContext) -> WebPart | None:
    """The dashboard, or None (with a log line saying why) when it must not start."""
    settings = app.settings
    if not settings.dashboard_enabled:
        return None
    key = settings.dashboard_secret_key
    try:
        fernet = Fernet(key.get_secret_value()) if key is not None else None
    except ValueError:
        fernet = None
    if fernet is None:
        # A warning, like the volunteer desk's: the bot itself runs fine without it.
        logger.warning(
            "dashboard OFF: DASHBOARD_SECRET_KEY is %s; see .env.example for how to generate "
            "one (DASHBOARD_ENABLED=false hides this line)",
            "not set" if key is None else "not a valid Fernet key",
        )
        return None
    host, port = settings.dashboard_host, settings.dashboard_port
    return WebPart(build_app(app, fernet), PREFIX, host, port)


def build_app(app: AppContext, fernet: Fernet) -> web.Application:
    """Pages, session cookie, guard, templates."""
    dashboard = web.Application()
    dashboard[APP_KEY] = app
    dashboard[BASE_KEY] = PREFIX
    dashboard[auth.LIMITER_KEY] = LoginLimiter(
        app.clock,
        app.settings.dashboard_login_failures_per_account,
        app.settings.dashboard_login_failures_per_client,
    )
    storage = EncryptedCookieStorage(
        fernet,
        cookie_name=COOKIE,
        path=PREFIX,
        httponly=True,
        secure=app.settings.dashboard_secure_cookie,
        samesite="Strict",
        max_age=None,
    )
    setup_session(dashboard, storage)
    dashboard.middlewares.append(_headers)
    dashboard.middlewares.append(auth.guard)
    env = aiohttp_jinja2.setup(
        dashboard,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
    )
    env.filters.update(filters())
    views.add_routes(dashboard)
    return dashboard


@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No framing, no sniffing, no third-party anything (everything is served from here)."""
    try:
        response = await handler(request)
    except web.HTTPException as error:
        response = error
        _secure(response)
        raise
    _secure(response)
    return response


def _secure(response: web.StreamResponse) -> None:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; "
        "form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
