"""The start page (by role) and the stylesheet."""

from __future__ import annotations

from aiohttp import web

from handlers.dashboard.pages import base
from handlers.dashboard.roles import account_of
from storage.models import DashboardRole


async def home(request: web.Request) -> web.StreamResponse:
    door = account_of(request).role == DashboardRole.DOOR
    raise web.HTTPFound(base(request) + ("/checkin" if door else "/overview"))


async def stylesheet(request: web.Request) -> web.StreamResponse:
    from handlers.dashboard.web import HERE

    return web.FileResponse(
        HERE / "static" / "dashboard.css", headers={"Cache-Control": "max-age=3600"}
    )


async def script(request: web.Request) -> web.StreamResponse:
    """The one script: it refreshes an announcement's delivery figures while it goes out."""
    from handlers.dashboard.web import HERE

    return web.FileResponse(
        HERE / "static" / "dashboard.js", headers={"Cache-Control": "max-age=3600"}
    )
