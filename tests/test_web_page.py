"""The chat page's headers (who may frame it), its assets, and the embed origins setting."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import ValidationError

from bot.channels.web import WebChatChannel
from bot.config import Settings
from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.webserver import build_web_app


async def test_by_default_only_this_server_may_frame_the_page(web_client: TestClient) -> None:
    page = await web_client.get("/")
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self';" in policy + ";"
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


async def test_configured_portals_may_frame_the_page(
    app: AppContext, dispatcher: Dispatcher
) -> None:
    app.settings.web_embed_origins = "https://quangngai.gov.vn,https://*.quangngai.gov.vn"
    channel = WebChatChannel(app, dispatcher)
    async with TestClient(TestServer(build_web_app(app, [channel.mount]))) as client:
        page = await client.get("/", params={"embed": "1"})
    policy = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://quangngai.gov.vn https://*.quangngai.gov.vn" in policy
    # X-Frame-Options cannot name other sites; browsers that know CSP ignore it anyway.
    assert "X-Frame-Options" not in page.headers


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("", ()),
        (
            " https://Portal.Example.vn/ , http://localhost:8000",
            ("https://portal.example.vn", "http://localhost:8000"),
        ),
        ("https://*.gov.vn", ("https://*.gov.vn",)),
    ],
)
def test_embed_origins_are_normalised(given: str, kept: tuple[str, ...]) -> None:
    settings = Settings(_env_file=None, web_embed_origins=given)  # type: ignore[call-arg]
    assert settings.embed_origin_list() == kept


@pytest.mark.parametrize(
    "bad",
    [
        "portal.example.vn",
        "https://portal.example.vn/chat",
        "*",
        "ftp://x.vn",
        "https://a.vn;script-src *",
    ],
)
def test_embed_origins_must_be_origins(bad: str) -> None:
    with pytest.raises(ValidationError, match="is not an origin"):
        Settings(_env_file=None, web_embed_origins=bad)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/static/embed.js", "javascript"),
        ("/static/favicon.svg", "image/svg+xml"),
        ("/static/favicon-32.png", "image/png"),
        ("/static/icon-180.png", "image/png"),
    ],
)
async def test_assets_are_served(web_client: TestClient, path: str, kind: str) -> None:
    response = await web_client.get(path)
    assert response.status == 200 and kind in response.headers["Content-Type"]
