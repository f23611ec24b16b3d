"""The web server against slow and flooding clients, and who may use which conversation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from bot.channels.web import WebChatChannel
from bot.config import Settings
from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.webserver import PortInUse, bind, bound_port, build_web_app, start_web


@pytest.fixture
def client(web_client: TestClient) -> TestClient:
    return web_client


async def test_a_client_cannot_choose_its_own_conversation_id(client: TestClient) -> None:
    response = await client.post("/api/chat", json={"session": "A" * 16, "text": "/start"})
    data = await response.json()
    assert response.status == 200 and data["session"] != "A" * 16
    # The id the server issued is kept from then on.
    again = await client.post("/api/chat", json={"session": data["session"], "text": "xin chào"})
    assert (await again.json())["session"] == data["session"]


async def test_deeply_nested_json_is_a_400(client: TestClient, app: AppContext) -> None:
    depth = 2500  # 15 kB: under the size limit, deeper than the JSON parser recurses
    body = b'{"a":' * depth + b"1" + b"}" * depth
    assert len(body) < app.settings.web_max_body_bytes
    response = await client.post(
        "/api/chat", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status == 400 and (await response.json())["error"] == "bad_request"


async def test_new_conversations_per_address_are_limited(
    app: AppContext, dispatcher: Dispatcher
) -> None:
    """A new conversation per request does not get around the limits."""
    app.settings.web_new_chats_burst = 3
    async with _client(app, dispatcher) as client:
        statuses = []
        for _ in range(6):
            response = await client.post("/api/chat", json={"session": "", "text": "thời tiết"})
            statuses.append(response.status)
    assert statuses[:3] == [200, 200, 200] and set(statuses[3:]) == {429}


async def test_one_address_is_slowed_whatever_conversation_it_uses(
    app: AppContext, dispatcher: Dispatcher
) -> None:
    app.settings.web_rate_client_burst = 5
    app.settings.web_rate_per_client_per_minute = 1
    async with _client(app, dispatcher) as client:
        statuses = []
        for _ in range(8):
            response = await client.get("/api/updates", params={"session": "B" * 24})
            statuses.append(response.status)
    assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {429}


@asynccontextmanager
async def _client(app: AppContext, dispatcher: Dispatcher) -> AsyncIterator[TestClient]:
    channel = WebChatChannel(app, dispatcher)  # reads the limits from the settings now
    app.channels[channel.name] = channel
    async with TestClient(TestServer(build_web_app(app, [channel.mount]))) as client:
        yield client


async def test_forwarded_address_is_trusted_only_from_a_configured_proxy(
    app: AppContext, dispatcher: Dispatcher
) -> None:
    app.settings.web_trusted_proxies = "10.0.0.0/8"
    channel = WebChatChannel(app, dispatcher)
    headers = {"X-Forwarded-For": "203.0.113.7, 10.1.2.3"}

    class Transport:
        def __init__(self, peer: str) -> None:
            self.peer = peer

        def get_extra_info(self, name: str, default: object = None) -> object:
            return (self.peer, 1234) if name == "peername" else default

    def request_from(peer: str) -> web.Request:
        return make_mocked_request("POST", "/api/chat", headers=headers, transport=Transport(peer))

    assert channel.client_address(request_from("10.1.2.3")) == "203.0.113.7"
    assert channel.client_address(request_from("198.51.100.9")) == "198.51.100.9"


@pytest.fixture
async def guarded(settings: Settings, app: AppContext) -> AsyncIterator[int]:
    """The real server (own socket, caps, timeouts) with a tiny cap and short timeouts."""
    app.settings.web_max_connections = 3
    app.settings.web_header_timeout_seconds = 1.0

    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    def mount(web_app: web.Application) -> None:
        web_app.router.add_get("/hello", hello)

    web_app = build_web_app(app, [mount])
    runner = await start_web(app, web_app)
    try:
        port = bound_port(runner)
        assert port
        yield port
    finally:
        await runner.cleanup()


async def _read_all(reader: asyncio.StreamReader, within: float) -> bytes:
    return await asyncio.wait_for(reader.read(), within)


async def test_slow_headers_are_cut_off(guarded: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", guarded)
    writer.write(b"GET /hello HTTP/1.1\r\nHost: x\r\n")  # ...and the rest never comes
    await writer.drain()
    # The server closes the connection (EOF) instead of waiting for ever.
    assert await _read_all(reader, within=20) == b""
    writer.close()


async def test_connections_over_the_cap_get_503_at_once(guarded: int) -> None:
    idle = [await asyncio.open_connection("127.0.0.1", guarded) for _ in range(3)]
    await asyncio.sleep(0.2)
    reader, writer = await asyncio.open_connection("127.0.0.1", guarded)
    assert (await _read_all(reader, within=5)).startswith(b"HTTP/1.1 503")
    writer.close()
    for _, idle_writer in idle:
        idle_writer.close()
    await asyncio.sleep(0.2)
    # Once they are gone, requests are served again.
    reader, writer = await asyncio.open_connection("127.0.0.1", guarded)
    writer.write(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert b"200 OK" in await _read_all(reader, within=5)
    writer.close()


def test_a_busy_port_says_which_and_how_to_change_it() -> None:
    taken = bind("127.0.0.1", 0)
    port = taken.getsockname()[1]
    try:
        with pytest.raises(PortInUse, match=rf"port {port} .*WEB_PORT"):
            bind("127.0.0.1", port)
    finally:
        taken.close()
