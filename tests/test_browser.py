"""The web chat in real headless Chromium: type, read, press a button, reload."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.runtime import running

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

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' (.ci/run does)",
)


@pytest.fixture
async def base_url(tmp_path: Path) -> AsyncIterator[str]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.db", web_port=0
    )
    async with running(settings) as runtime:
        yield f"http://127.0.0.1:{runtime.web_port}"


async def test_chat_in_a_real_browser(base_url: str, tmp_path: Path) -> None:
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 844})
            await page.goto(base_url)
            bot_messages = page.locator(".msg.bot")
            await expect(bot_messages.first).to_contain_text("Xin chào")

            await page.fill("#text", "quen mat khau vneid thi lam sao")
            await page.keyboard.press("Enter")
            await expect(page.locator(".msg.me").last).to_have_text(
                "quen mat khau vneid thi lam sao"
            )
            await expect(bot_messages).to_have_count(2)
            await expect(bot_messages.nth(1)).to_contain_text("VNeID")

            attack = "<b id='x'>đậm</b><script>window.pwned=1</script>"
            await page.fill("#text", attack)
            await page.click("#send")
            await expect(page.locator(".msg.me").last).to_have_text(attack)
            await expect(bot_messages).to_have_count(3)
            assert await page.locator("#log b#x").count() == 0
            assert await page.evaluate("window.pwned === undefined")

            await page.get_by_role("button", name="📚 Xem theo chủ đề").last.click()
            await expect(bot_messages).to_have_count(4)
            await expect(bot_messages.last).to_contain_text("chủ đề")

            before = await page.locator(".msg").all_inner_texts()
            await page.reload()
            await expect(page.locator(".msg")).to_have_count(len(before))
            assert await page.locator(".msg").all_inner_texts() == before

            # the session continues on the server after the reload
            topic = page.locator(".buttons").last.locator("button").first
            await topic.click()
            await expect(bot_messages).to_have_count(5)
            await page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
        finally:
            await browser.close()
