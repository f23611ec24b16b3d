"""Server-Sent Events for the web chat: messages from others reach an open page at once.

`GET /api/events?session=<id>` keeps a `text/event-stream` open. Each event is
`data: {"replies": [...]}`, taken from the same mailbox `/api/updates` reads, so a message
is delivered once whichever way the page fetches it. A stream wakes at once when this
process stores a mailbox item (`notify`, called by `WebChatChannel.send`); one shared
query every WEB_EVENTS_RECHECK_SECONDS finds items stored by other worker processes.
Comment lines every WEB_EVENTS_HEARTBEAT_SECONDS keep proxies from closing an idle stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import web

from bot.context import AppContext
from bot.privacy import mask_id
from storage import web_mailbox
from storage.conversations import conversation_exists

logger = logging.getLogger(__name__)

# A stream is ended after this long; the browser reconnects by itself (after RETRY_MS).
MAX_STREAM_SECONDS = 600.0
RETRY_MS = 5000
# A reload may leave the old stream open for a while: past this, the oldest one is ended.
MAX_STREAMS_PER_CHAT = 2
_HEADERS = {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-cache, no-transform",
    # nginx buffers responses by default, which would hold events back.
    "X-Accel-Buffering": "no",
}


class _Stream:
    """One open event stream of one page."""

    def __init__(self, web_chat_id: str) -> None:
        self.web_chat_id = web_chat_id
        self.wake = asyncio.Event()
        self.ended = False

    def end(self) -> None:
        self.ended = True
        self.wake.set()


class MailboxStreams:
    """The open event streams of this process, and the wake-ups that feed them."""

    def __init__(
        self,
        app: AppContext,
        *,
        max_streams: int,
        heartbeat_seconds: float,
        recheck_seconds: float,
    ) -> None:
        self.app = app
        self.max_streams = max_streams
        self.heartbeat_seconds = heartbeat_seconds
        self.recheck_seconds = recheck_seconds
        self._streams: dict[str, list[_Stream]] = {}
        self._recheck: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._closing = False

    @property
    def open_count(self) -> int:
        """Streams open right now."""
        return sum(len(streams) for streams in self._streams.values())

    def notify(self, web_chat_id: str) -> None:
        """Something was stored for this page: wake its streams (no-op when none is open)."""
        for stream in self._streams.get(web_chat_id, ()):
            stream.wake.set()

    async def close_all(self, _web_app: web.Application | None = None) -> None:
        """End every stream (server shutdown), so the shutdown does not wait for them."""
        self._closing = True
        for streams in list(self._streams.values()):
            for stream in streams:
                stream.end()
        if self._recheck is not None:
            self._recheck.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._recheck
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    async def serve(self, request: web.Request, web_chat_id: str) -> web.StreamResponse:
        """Stream this page's mailbox until the client leaves or the stream's time is up."""
        if self._closing or self.open_count >= self.max_streams:
            busy = web.json_response(
                {"error": "busy", "message": "too many open event streams; poll /api/updates"},
                status=503,
            )
            busy.headers["Retry-After"] = "30"
            return busy
        stream = self._register(web_chat_id)
        response = web.StreamResponse(headers=_HEADERS)
        try:
            await response.prepare(request)
            await response.write(f"retry: {RETRY_MS}\n\n".encode())
            await self._pump(stream, response)
        except ConnectionResetError:
            # The page went away (when it does, aiohttp may also cancel this handler).
            logger.debug("event stream closed chat=%s", mask_id(web_chat_id))
        finally:
            self._unregister(stream)
        return response

    async def _pump(self, stream: _Stream, response: web.StreamResponse) -> None:
        loop = asyncio.get_running_loop()
        ends_at = loop.time() + MAX_STREAM_SECONDS
        next_beat = loop.time() + self.heartbeat_seconds
        while not stream.ended and loop.time() < ends_at:
            stream.wake.clear()
            await self._deliver(stream.web_chat_id, response)
            timeout = max(0.0, min(next_beat, ends_at) - loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stream.wake.wait(), timeout)
            if loop.time() >= next_beat and not stream.ended:
                await response.write(b": ping\n\n")
                next_beat = loop.time() + self.heartbeat_seconds

    async def _deliver(self, web_chat_id: str, response: web.StreamResponse) -> None:
        """Take what waits and write it; put it back if the write fails."""
        async with self.app.transaction() as db:
            replies = await web_mailbox.take_all(db, web_chat_id)
        if not replies:
            return
        try:
            await response.write(_event({"replies": replies}))
        except BaseException:
            # Known undelivered: the next stream or poll gets it. A separate task, because
            # this one may be being cancelled.
            task = asyncio.create_task(self._put_back(web_chat_id, replies))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            raise

    async def _put_back(self, web_chat_id: str, replies: list[dict[str, Any]]) -> None:
        try:
            async with self.app.transaction() as db:
                for reply in replies:
                    await web_mailbox.put(db, web_chat_id, reply, self.app.clock.now())
        except Exception:
            logger.exception("could not put back %d undelivered web replies", len(replies))

    def _register(self, web_chat_id: str) -> _Stream:
        stream = _Stream(web_chat_id)
        streams = self._streams.setdefault(web_chat_id, [])
        streams.append(stream)
        for old in streams[:-MAX_STREAMS_PER_CHAT]:
            old.end()
        if self._recheck is None or self._recheck.done():
            self._recheck = asyncio.create_task(self._recheck_loop(), name="web-events-recheck")
        return stream

    def _unregister(self, stream: _Stream) -> None:
        streams = self._streams.get(stream.web_chat_id, [])
        if stream in streams:
            streams.remove(stream)
        if not streams:
            self._streams.pop(stream.web_chat_id, None)

    async def _recheck_loop(self) -> None:
        """While streams are open: wake those whose page has mail stored by another process."""
        while self._streams:
            await asyncio.sleep(self.recheck_seconds)
            watched = list(self._streams)
            if not watched:
                break
            try:
                async with self.app.open_db() as db:
                    found = await web_mailbox.ids_with_mail(db, watched)
            except Exception:
                logger.exception("web events: mailbox re-check failed")
                continue
            for web_chat_id in found:
                self.notify(web_chat_id)


def _event(data: dict[str, Any]) -> bytes:
    # json.dumps escapes newlines, so the data is one line as SSE requires.
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


async def known_conversation(app: AppContext, web_chat_id: str) -> bool:
    """Only conversations this server issued may open a stream."""
    async with app.open_db() as db:
        return await conversation_exists(db, "web", web_chat_id)
