"""Features' own web applications: mounted on the shared server, or served on their own."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.context import AppContext
from bot.features import WebPart
from bot.webserver import Mount

logger = logging.getLogger(__name__)


def feature_parts(app: AppContext) -> list[WebPart]:
    """The web parts of every feature this deployment offers."""
    parts = []
    for feature in app.features:
        if feature.web is None or feature.name not in app.available_features:
            continue
        part = feature.web(app)
        if part is not None:
            parts.append(part)
    return parts


def shared_mounts(parts: list[WebPart]) -> list[Mount]:
    """Mounts adding the parts that share the main server, each under its prefix."""

    def mount_for(part: WebPart) -> Mount:
        def mount(web_app: web.Application) -> None:
            web_app.add_subapp(part.prefix, part.app)

        return mount

    return [mount_for(part) for part in parts if not part.separate]


async def start_separate(parts: list[WebPart], *, reuse_port: bool = False) -> list[web.AppRunner]:
    """Serve each part that has its own host and port (`reuse_port`: shared by several
    workers, as the main server is); the runners to clean up."""
    runners = []
    for part in parts:
        if not part.separate:
            continue
        outer = web.Application()
        outer.add_subapp(part.prefix, part.app)
        runner = web.AppRunner(outer, access_log=None, handler_cancellation=True)
        await runner.setup()
        try:
            await web.TCPSite(runner, part.host, part.port, reuse_port=reuse_port or None).start()
        except BaseException:
            await runner.cleanup()
            raise
        logger.info("%s served on %s:%s", part.prefix, part.host, part.port)
        runners.append(runner)
    return runners
