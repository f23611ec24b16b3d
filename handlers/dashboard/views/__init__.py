"""Every page of the dashboard, by area; `add_routes` puts them on the application."""

from __future__ import annotations

from aiohttp import web

from handlers.dashboard import auth
from handlers.dashboard.views import (
    accounts,
    announcements,
    checkin,
    desk,
    home,
    overview,
    session_edit,
    sessions,
)


def add_routes(dashboard: web.Application) -> None:
    router = dashboard.router
    router.add_get("/login", auth.login_page, name="login")
    router.add_post("/login", auth.login, name="login-form")
    router.add_post("/logout", auth.logout)
    router.add_get("/static/dashboard.css", home.stylesheet, name="static")
    router.add_get("/static/dashboard.js", home.script, name="static-js")
    router.add_get("", home.home)
    router.add_get("/", home.home)
    router.add_get("/overview", overview.page)
    accounts.add_routes(router)
    session_edit.add_routes(router)  # before /sessions/{id}: 'new', 'import'
    sessions.add_routes(router)
    checkin.add_routes(router)
    announcements.add_routes(router)
    desk.add_routes(router)
