"""Rendering pages: the templates get the account, the CSRF token and the navigation."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.clock import format_local, to_local
from bot.context import AppContext
from bot.privacy import mask_phone

APP_KEY: web.AppKey[AppContext] = web.AppKey("app_context", AppContext)
BASE_KEY: web.AppKey[str] = web.AppKey("base", str)


def context(request: web.Request) -> AppContext:
    """The bot's app context (settings, database, clock)."""
    return request.config_dict[APP_KEY]


def base(request: web.Request) -> str:
    return request.config_dict[BASE_KEY]


def _common(request: web.Request) -> dict[str, Any]:
    from handlers.dashboard.roles import ACCOUNT, CSRF, NAV

    account = request.get(ACCOUNT)
    nav = [item for item in NAV if account is not None and account.role in item.roles]
    return {
        "base": base(request),
        "account": account,
        "csrf": request.get(CSRF, ""),
        "nav": nav,
        "path": request.path[len(base(request)) :],
    }


def render(request: web.Request, template: str, status: int = 200, **values: Any) -> web.Response:
    """The template filled with the common values and `values`."""
    response = aiohttp_jinja2.render_template(
        template, request, {**_common(request), **values}, status=status
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(request: web.Request, message: str, status: int) -> str:
    """An error page's HTML (403, 404, 429)."""
    env = aiohttp_jinja2.get_env(request.app)
    return env.get_template("error.jinja").render(
        **_common(request), message=message, status=status
    )


def filters() -> dict[str, Any]:
    """Template filters: Vietnam time, masked phones, percentages."""

    def percent(share: float | None) -> str:
        return "–" if share is None else f"{round(share * 100)} %"

    return {
        "local": format_local,
        "day": lambda moment: f"{to_local(moment):%d/%m/%Y}",
        "hhmm": lambda moment: f"{to_local(moment):%H:%M}",
        "masked": mask_phone,
        "percent": percent,
    }
