"""The shared aiohttp server: health check, error pages, limits, and each channel's routes.

Protection against slow or flooding clients (a reverse proxy in front is still advised):
- a request's headers must arrive within WEB_HEADER_TIMEOUT_SECONDS (aiohttp closes a
  connection that is still waiting for a complete request after its keep-alive timeout),
  and bodies are read within WEB_BODY_TIMEOUT_SECONDS;
- at most WEB_MAX_CONNECTIONS connections at once: more are closed with a 503 at once, so
  the process never runs out of file descriptors;
- accept() errors are logged once a minute, not once per attempt (bot/logs.py).
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web

from bot import metrics
from bot.context import AppContext
from storage import inbox, outbox_reports
from storage.db import current_revision, head_revision

logger = logging.getLogger(__name__)

Mount = Callable[[web.Application], None]
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_BUSY = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


class BodyError(Exception):
    """A request body refused before it was parsed (status 400, 408 or 413)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class PortInUse(Exception):
    """The configured port is taken by another program."""


def json_status(status: int, message: str) -> web.Response:
    """The small JSON answer webhooks give platforms."""
    return web.json_response({"ok": status < 400, "error": message}, status=status)


async def read_body(request: web.Request, limit: int, seconds: float = 15.0) -> bytes:
    """The body, read within `seconds` and refused past `limit` bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyError(413, "body too large")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.content.iter_chunked(65_536):
                size += len(chunk)
                if size > limit:  # chunked bodies have no length to check up front
                    raise BodyError(413, "body too large")
                chunks.append(chunk)
    except TimeoutError as error:
        raise BodyError(408, "body not received in time") from error
    return b"".join(chunks)


async def read_json_object(
    request: web.Request, limit: int, seconds: float = 15.0
) -> dict[str, Any]:
    """The body as a JSON object; BodyError(400) for anything else (deep nesting too)."""
    raw = await read_body(request, limit, seconds)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise BodyError(400, "the body is not valid JSON") from error
    if not isinstance(data, dict):
        raise BodyError(400, "the body must be a JSON object")
    return data


def build_web_app(app: AppContext, mounts: Iterable[Mount]) -> web.Application:
    """An aiohttp application with /healthz and the routes each channel mounts."""
    web_app = web.Application(
        client_max_size=app.settings.web_max_body_bytes, middlewares=[_json_errors]
    )

    async def healthz(request: web.Request) -> web.Response:
        try:
            async with app.open_db() as db:
                report = await outbox_reports.status_report(db)
                inbox_counts = await inbox.counts(db)
        except Exception:
            logger.exception("health check: database unreachable")
            return web.json_response({"status": "error", "database": "down"}, status=503)
        return web.json_response(
            {
                "status": "ok",
                "database": "up",
                "outbox": report.as_dict(),
                "inbox": inbox_counts,
            }
        )

    async def readyz(request: web.Request) -> web.Response:
        """Ready for traffic: started, the database answers, and its schema is this version's."""
        problems = [] if app.ready else ["starting or stopping"]
        try:
            revision = await current_revision(app.engine)
        except Exception:
            logger.exception("readiness check: database unreachable")
            problems.append("database unreachable")
        else:
            needed = head_revision()
            if revision != needed:
                problems.append(f"schema at {revision}, this version needs {needed}")
        if problems:
            return web.json_response({"status": "not ready", "problems": problems}, status=503)
        return web.json_response({"status": "ready", "channels": sorted(app.channels)})

    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/readyz", readyz)
    web_app.router.add_get("/metrics", metrics.handler(app))
    for mount in mounts:
        mount(web_app)
    return web_app


@web.middleware
async def _json_errors(request: web.Request, handler: _Handler) -> web.StreamResponse:
    """API errors as JSON (413 too big, 404, 405, 500) and no stack traces to the client."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if not request.path.startswith("/api/") or error.status < 400:
            raise
        code = "too_large" if error.status == 413 else "http_error"
        return web.json_response({"error": code, "message": error.reason}, status=error.status)
    except (asyncio.CancelledError, ConnectionResetError):
        raise
    except Exception:
        logger.exception("request failed path=%s", request.path[:100])
        return web.json_response({"error": "internal", "message": "internal error"}, status=500)


class _Refuse(asyncio.Protocol):
    """Answers 503 and closes: the connection cap is reached."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        transport.write(_BUSY)
        transport.close()


class GuardedSite(web.SockSite):
    """A site on our own socket whose connections are capped (see the module docstring)."""

    def __init__(self, runner: web.BaseRunner, sock: socket.socket, max_connections: int) -> None:
        super().__init__(runner, sock)
        self._max_connections = max_connections
        self.refused = 0

    async def start(self) -> None:
        # BaseSite.start registers the site with the runner; creating the server ourselves
        # is how a site subclass supplies its own protocol factory.
        await web.BaseSite.start(self)
        server = self._runner.server
        assert server is not None

        def factory() -> asyncio.Protocol:
            if len(server.connections) >= self._max_connections:
                self.refused += 1
                return _Refuse()
            return server()

        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(factory, sock=self._sock, backlog=self._backlog)


def bind(host: str, port: int, *, reuse_port: bool = False, listen: bool = True) -> socket.socket:
    """A listening socket; PortInUse with a clear message when the port is taken. Without
    `listen`, only bound: it holds the port and takes no connections (`run --workers`)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PortInUse(
                f"port {port} on {host} is already in use by another program; "
                f"stop it, or choose another port with WEB_PORT=8081 (or `run --port 8081`)"
            ) from error
        raise
    if listen:
        sock.listen(512)
    sock.setblocking(False)
    return sock


async def start_web(
    app: AppContext, web_app: web.Application, *, reuse_port: bool = False
) -> web.AppRunner:
    """Serve `web_app` on WEB_HOST:WEB_PORT with the timeouts and connection cap."""
    settings = app.settings
    runner = web.AppRunner(
        web_app,
        access_log=None,
        # Also the time a new connection has to send a complete request's headers.
        keepalive_timeout=settings.web_header_timeout_seconds,
        handler_cancellation=True,
    )
    await runner.setup()
    try:
        sock = bind(settings.web_host, settings.web_port, reuse_port=reuse_port)
        site = GuardedSite(runner, sock, settings.web_max_connections)
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


def bound_port(runner: web.AppRunner) -> int | None:
    """The port actually bound (WEB_PORT=0 in tests picks a free one)."""
    for address in runner.addresses:
        if isinstance(address, tuple):
            return int(address[1])
    return None
