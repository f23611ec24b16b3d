"""Push to the web chat page: Server-Sent Events on /api/events, fed by the mailbox."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.channels.web import WebChatChannel
from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.messages import Reply
from bot.webserver import bound_port, build_web_app, start_web
from storage import web_mailbox

WAIT = 10.0  # seconds before a test gives up on an event that should come at once


@pytest.fixture
def client(web_client: TestClient) -> TestClient:
    return web_client


@pytest.fixture
def channel(app: AppContext) -> WebChatChannel:
    found = app.channels["web"]
    assert isinstance(found, WebChatChannel)
    return found


async def new_session(client: TestClient) -> str:
    response = await client.post("/api/chat", json={"session": "", "text": "/start"})
    return str((await response.json())["session"])


async def next_block(response: aiohttp.ClientResponse) -> list[str]:
    """The lines of the next SSE block (up to a blank line)."""
    lines: list[str] = []
    async with asyncio.timeout(WAIT):
        while True:
            raw = await response.content.readline()
            if not raw:
                raise EOFError("stream ended")
            line = raw.decode().rstrip("\n")
            if not line:
                if lines:
                    return lines
                continue
            lines.append(line)


async def next_event(response: aiohttp.ClientResponse) -> dict[str, Any]:
    """The data of the next event, skipping `retry:` and heartbeat comments."""
    while True:
        lines = await next_block(response)
        data = [line.removeprefix("data: ") for line in lines if line.startswith("data: ")]
        if data:
            return dict(json.loads("\n".join(data)))


async def test_a_message_sent_to_the_page_is_pushed_at_once(
    client: TestClient, channel: WebChatChannel
) -> None:
    session = await new_session(client)
    async with client.get("/api/events", params={"session": session}) as stream:
        assert stream.status == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        assert await next_block(stream) == ["retry: 5000"]
        await channel.send(session, Reply("Tình nguyện viên đã trả lời bạn"))
        event = await next_event(stream)
    assert [r["text"] for r in event["replies"]] == ["Tình nguyện viên đã trả lời bạn"]
    # Delivered once: the poll finds nothing left.
    polled = await client.get("/api/updates", params={"session": session})
    assert (await polled.json())["replies"] == []


async def test_what_waited_before_the_stream_opened_comes_first(
    client: TestClient, channel: WebChatChannel
) -> None:
    session = await new_session(client)
    await channel.send(session, Reply("một"))
    await channel.send(session, Reply("hai"))
    async with client.get("/api/events", params={"session": session}) as stream:
        event = await next_event(stream)
    assert [r["text"] for r in event["replies"]] == ["một", "hai"]


async def test_mail_stored_by_another_process_is_found_by_the_recheck(
    client: TestClient, channel: WebChatChannel, app: AppContext
) -> None:
    channel.streams.recheck_seconds = 0.05
    session = await new_session(client)
    async with client.get("/api/events", params={"session": session}) as stream:
        await next_block(stream)  # retry: the stream is registered
        # Stored without a wake-up, as another worker's send would be.
        async with app.transaction() as db:
            reply = Reply("từ tiến trình khác").to_dict()
            await web_mailbox.put(db, session, reply, app.clock.now())
        event = await next_event(stream)
    assert event["replies"][0]["text"] == "từ tiến trình khác"


async def test_heartbeats_keep_an_idle_stream_talking(
    client: TestClient, channel: WebChatChannel
) -> None:
    channel.streams.heartbeat_seconds = 0.05
    session = await new_session(client)
    async with client.get("/api/events", params={"session": session}) as stream:
        await next_block(stream)
        assert await next_block(stream) == [": ping"]
        assert await next_block(stream) == [": ping"]


@pytest.mark.parametrize(
    "session", ["", "../../etc", "A" * 24, "<script>alert(1)</script>"], ids=repr
)
async def test_bad_or_unknown_sessions_get_a_clean_400(client: TestClient, session: str) -> None:
    response = await client.get("/api/events", params={"session": session})
    assert response.status == 400
    assert (await response.json())["error"] == "bad_request"


async def test_opening_streams_is_rate_limited_like_the_api(
    app: AppContext, dispatcher: Dispatcher
) -> None:
    app.settings.web_rate_client_burst = 3
    app.settings.web_rate_per_client_per_minute = 1
    channel = WebChatChannel(app, dispatcher)
    async with TestClient(TestServer(build_web_app(app, [channel.mount]))) as client:
        statuses = []
        for _ in range(5):
            response = await client.get("/api/events", params={"session": "C" * 24})
            statuses.append(response.status)
    assert statuses[:3] == [400] * 3 and set(statuses[3:]) == {429}


async def test_open_streams_are_capped(client: TestClient, channel: WebChatChannel) -> None:
    channel.streams.max_streams = 1
    first, second = await new_session(client), await new_session(client)
    async with client.get("/api/events", params={"session": first}) as stream:
        await next_block(stream)
        refused = await client.get("/api/events", params={"session": second})
        assert refused.status == 503 and (await refused.json())["error"] == "busy"
        assert refused.headers["Retry-After"]
    # Once it is closed, its slot is free again.
    await _until(lambda: channel.streams.open_count == 0)
    async with client.get("/api/events", params={"session": second}) as stream:
        assert stream.status == 200


async def test_a_reload_ends_the_oldest_stream_of_the_page(
    client: TestClient, channel: WebChatChannel
) -> None:
    session = await new_session(client)
    streams = [await client.get("/api/events", params={"session": session}) for _ in range(3)]
    try:
        with pytest.raises(EOFError):
            while True:
                await next_block(streams[0])
        await channel.send(session, Reply("cho trang mới"))
        got = await asyncio.wait_for(_first_event(streams[1], streams[2]), WAIT)
        assert got["replies"][0]["text"] == "cho trang mới"
    finally:
        for stream in streams:
            stream.close()


async def _first_event(*streams: aiohttp.ClientResponse) -> dict[str, Any]:
    tasks = [asyncio.create_task(next_event(s)) for s in streams]
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return next(iter(done)).result()


async def _until(condition: Any) -> None:
    async with asyncio.timeout(WAIT):
        while not condition():  # noqa: ASYNC110 - a plain counter, bounded by the timeout
            await asyncio.sleep(0.01)


@pytest.fixture
async def real_server(app: AppContext, dispatcher: Dispatcher) -> AsyncIterator[web.AppRunner]:
    """The production server (own socket, connection cap, header timeout) with short limits."""
    app.settings.web_header_timeout_seconds = 0.3
    app.settings.web_max_connections = 4
    app.settings.web_events_heartbeat_seconds = 0.2
    channel = WebChatChannel(app, dispatcher)
    app.channels[channel.name] = channel
    runner = await start_web(app, build_web_app(app, [channel.mount]))
    try:
        yield runner
    finally:
        await runner.cleanup()


def url_of(runner: web.AppRunner) -> str:
    return f"http://127.0.0.1:{bound_port(runner)}"


async def test_the_slow_client_guards_do_not_cut_a_healthy_stream(
    real_server: web.AppRunner, app: AppContext
) -> None:
    channel = app.channels["web"]
    async with aiohttp.ClientSession(url_of(real_server)) as http:
        async with http.post("/api/chat", json={"session": "", "text": "/start"}) as response:
            session = (await response.json())["session"]
        async with http.get("/api/events", params={"session": session}) as stream:
            await next_block(stream)
            # Ten heartbeats: the stream lives well past the 0.3 s header/keep-alive timeout.
            for _ in range(10):
                assert await next_block(stream) == [": ping"]
            await channel.send(session, Reply("vẫn nhận được"))
            event = await next_event(stream)
    assert event["replies"][0]["text"] == "vẫn nhận được"


async def test_shutdown_ends_open_streams_at_once(real_server: web.AppRunner) -> None:
    async with aiohttp.ClientSession(url_of(real_server)) as http:
        async with http.post("/api/chat", json={"session": "", "text": "/start"}) as response:
            session = (await response.json())["session"]
        async with http.get("/api/events", params={"session": session}) as stream:
            await next_block(stream)
            # aiohttp would wait up to 60 s for running handlers; the streams end at once.
            async with asyncio.timeout(5):
                await real_server.cleanup()
            with pytest.raises(EOFError):
                while True:
                    await next_block(stream)


async def test_a_reply_whose_write_failed_is_put_back(
    client: TestClient, channel: WebChatChannel, app: AppContext
) -> None:
    class Broken:
        async def write(self, data: bytes) -> None:
            raise ConnectionResetError("gone")

    session = await new_session(client)
    await channel.send(session, Reply("đừng để mất"))
    with pytest.raises(ConnectionResetError):
        await channel.streams._deliver(session, Broken())  # type: ignore[arg-type]
    await channel.streams.close_all()  # waits for the put-back
    polled = await client.get("/api/updates", params={"session": session})
    assert [r["text"] for r in (await polled.json())["replies"]] == ["đừng để mất"]
