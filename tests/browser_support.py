"""Helpers of the browser tests: Chromium, the bot on a free port, reply and layout checks."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, ViewportSize, async_playwright

from bot.config import Settings
from bot.runtime import Runtime, running
from storage.help_sessions import SessionSpec
from tests.signup_support import add_sessions

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
# Without these, Chromium keeps trying to reach Google's services from a closed network.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' (.ci/run does)",
)
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
ROOT = Path(__file__).resolve().parent.parent


def screenshot_path(name: str) -> Path:
    """test-artifacts/NAME (gitignored), or docs/screenshots/NAME with UPDATE_SCREENSHOTS=1."""
    folder = "docs/screenshots" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else "test-artifacts"
    path = ROOT / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def artifact_path(name: str) -> Path:
    """test-artifacts/NAME: what a test run leaves to look at (gitignored)."""
    path = ROOT / "test-artifacts" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def upcoming(slug: str, commune: str, *, days: int, capacity: int = 20) -> SessionSpec:
    """A help session `days` from now at 08:00 Vietnam time (the server runs on real time)."""
    vn = dt.timezone(dt.timedelta(hours=7))
    day = dt.datetime.now(vn).date() + dt.timedelta(days=days)
    start = dt.datetime.combine(day, dt.time(8, 0), tzinfo=vn).astimezone(dt.UTC)
    return SessionSpec(
        slug=slug,
        title="Hướng dẫn cài đặt, kích hoạt VNeID",
        place="Nhà văn hóa thôn 1",
        address="Gần trụ sở UBND xã",
        commune=commune,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=3),
        capacity=capacity,
        topics=("Cài đặt, kích hoạt VNeID", "Thanh toán bằng mã QR"),
        bring="Điện thoại đã sạc pin, thẻ căn cước",
        contact=f"Tổ công nghệ số cộng đồng {commune.lower()}",
    )


@asynccontextmanager
async def bot_server(
    tmp_path: Path, *sessions: SessionSpec, **settings: Any
) -> AsyncIterator[tuple[Runtime, str, dict[str, int]]]:
    """The whole bot on a free port: (runtime, base URL, session slug -> id)."""
    config = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db",
        web_port=0,
        **settings,
    )
    async with running(config) as runtime:
        ids = await add_sessions(runtime.app, *sessions) if sessions else {}
        yield runtime, f"http://127.0.0.1:{runtime.web_port}", ids


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def bot_count(page: Page) -> int:
    return int(await page.locator("#log .msg.bot").count())


async def wait_reply(page: Page, before: int) -> None:
    """Until more bot messages than `before` are shown and no request is on its way."""
    await page.wait_for_function(
        """n => document.querySelectorAll('#log .msg.bot').length > n
                && !document.getElementById('log').hasAttribute('aria-busy')""",
        arg=before,
    )


_GEOMETRY = """() => {
  const box = el => { const r = el.getBoundingClientRect();
                      return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
  const newest = document.querySelector('#log .newest');
  const choices = document.getElementById('choices');
  return {
    width: innerWidth, height: innerHeight, scrollY: scrollY,
    pageHeight: document.scrollingElement.scrollHeight,
    log: box(document.getElementById('log')),
    newest: newest && box(newest),
    choicesScroll: choices.scrollHeight - choices.clientHeight,
    buttons: [...choices.querySelectorAll('button')].map(b => ({label: b.textContent, ...box(b)})),
  };
}"""


async def assert_newest_in_view(page: Page) -> None:
    """The newest reply starts inside the visible log, and every button of it is on screen."""
    try:
        _check_geometry(await page.evaluate(_GEOMETRY))
    except AssertionError:
        await page.screenshot(path=artifact_path("not-in-view.png"))
        raise


def _check_geometry(g: dict[str, Any]) -> None:
    assert g["scrollY"] == 0 and g["pageHeight"] <= g["height"], "the page itself scrolls"
    newest, log = g["newest"], g["log"]
    assert newest is not None
    # Its first line (about 30 px) is inside the log's visible part.
    assert log["top"] - 1 <= newest["top"] <= log["bottom"] - 30, (newest, log)
    assert g["choicesScroll"] <= 1, "the buttons need scrolling"
    for b in g["buttons"]:
        inside = b["left"] >= 0 and b["top"] >= 0
        inside = inside and b["right"] <= g["width"] and b["bottom"] <= g["height"]
        assert inside, (
            f"button {b['label']!r} is outside the {g['width']}x{g['height']} screen: {b}"
        )


async def press(page: Page, label: str) -> None:
    """Press a button of the newest reply and wait for the answer, then check the layout."""
    before = await bot_count(page)
    await page.locator("#choices").get_by_role("button", name=label, exact=True).click()
    await wait_reply(page, before)
    await assert_newest_in_view(page)


async def press_first(page: Page) -> str:
    """Press the first button of the newest reply; returns its label."""
    before = await bot_count(page)
    button = page.locator("#choices button").first
    label = str(await button.text_content())
    await button.click()
    await wait_reply(page, before)
    await assert_newest_in_view(page)
    return label


async def say(page: Page, text: str) -> None:
    """Type a message, send it with Enter, wait for the answer, then check the layout."""
    before = await bot_count(page)
    await page.fill("#text", text)
    await page.press("#text", "Enter")
    await wait_reply(page, before)
    await assert_newest_in_view(page)


async def serious_accessibility_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
