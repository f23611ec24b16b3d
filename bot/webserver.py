"""The shared aiohttp server: health check, error pages, and each channel's routes."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web
from sqlalchemy import text

from bot.context import AppContext

logger = logging.getLogger(__name__)

Mount = Callable[[web.Application], None]
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_web_app(app: AppContext, mounts: Iterable[Mount]) -> web.Application:
    """An aiohttp application with /healthz and the routes each channel mounts."""
    web_app = web.Application(
        client_max_size=app.settings.web_max_body_bytes, middlewares=[_json_errors]
    )

    async def healthz(request: web.Request) -> web.Response:
        try:
            async with app.sessions() as db:
                await db.execute(text("SELECT 1"))
        except Exception:
            logger.exception("health check: database unreachable")
            return web.json_response({"status": "error", "database": "down"}, status=503)
        return web.json_response({"status": "ok", "database": "up"})

    web_app.router.add_get("/healthz", healthz)
    for mount in mounts:
        mount(web_app)
    return web_app


@web.middleware
async def _json_errors(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """API errors as JSON (413 too big, 404, 405) and no stack traces to the client."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if not request.path.startswith("/api/") or error.status < 400:
            raise
        code = "too_large" if error.status == 413 else "http_error"
        return web.json_response(
            {"error": code, "message": error.reason}, status=error.status
        )
