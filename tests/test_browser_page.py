"""The chat page's comfort and safety in real Chromium: accessibility at phone and desktop
sizes, larger text, reading aloud, errors, source links, and embedding on another site."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Browser, Page, Route, expect

from bot.runtime import Runtime
from tests.browser_support import (
    DESKTOP,
    PHONE,
    assert_newest_in_view,
    bot_count,
    bot_server,
    chromium,
    needs_chromium,
    say,
    screenshot_path,
    serious_accessibility_problems,
    wait_reply,
)

pytestmark = needs_chromium


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[Runtime, str, dict[str, int]]]:
    async with bot_server(tmp_path) as served:
        yield served


@pytest.fixture
def base_url(server: tuple[Runtime, str, dict[str, int]]) -> str:
    return server[1]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as found:
        yield found


async def greeted(browser: Browser, base_url: str, **options: Any) -> Page:
    page = await browser.new_page(**options)
    await page.goto(base_url)
    await expect(page.locator(".msg.bot").first).to_contain_text("Xin chào")
    return page


_TOO_SMALL = """() => {
  const problems = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || !el.checkVisibility()) continue;
    if (el.closest('.visually-hidden')) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 20) problems.push(`text ${size}px: ${walker.currentNode.textContent.trim()}`);
  }
  for (const el of document.querySelectorAll('button, textarea')) {
    if (!el.checkVisibility()) continue;
    const r = el.getBoundingClientRect();
    if (r.height < 48 || r.width < 48) problems.push(`${r.width}x${r.height}: ${el.textContent}`);
  }
  return problems;
}"""

_PLACEHOLDER = """() => {
  const t = document.getElementById('text');
  const cs = getComputedStyle(t);
  const ctx = document.createElement('canvas').getContext('2d');
  ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
  return {needed: ctx.measureText(t.placeholder).width,
          room: t.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight)};
}"""


@pytest.mark.parametrize("size", ["phone", "desktop"])
async def test_accessible_and_comfortable(browser: Browser, base_url: str, size: str) -> None:
    viewport = PHONE if size == "phone" else DESKTOP
    page = await greeted(browser, base_url, viewport=viewport)
    await say(page, "nộp hồ sơ trực tuyến trên cổng dịch vụ công thế nào")
    assert await serious_accessibility_problems(page) == []
    assert await page.evaluate(_TOO_SMALL) == []
    room = await page.evaluate(_PLACEHOLDER)
    assert room["needed"] <= room["room"], f"the placeholder is cut off: {room}"
    assert await page.locator("link[rel=icon]").count() >= 1
    icon = await page.request.get(f"{base_url}/static/favicon.svg")
    assert icon.ok and "svg" in icon.headers["content-type"]
    if size == "desktop":
        await page.screenshot(path=screenshot_path("desktop-answer.png"))
    # With larger text, still nothing serious.
    await page.get_by_role("button", name="Chữ to").click()
    assert await serious_accessibility_problems(page) == []


async def test_keyboard_only(browser: Browser, base_url: str) -> None:
    page = await greeted(browser, base_url, viewport=DESKTOP)
    await expect(page.locator("#text")).to_be_focused()
    before = await bot_count(page)
    # Shift+Tab from the input reaches the newest reply's last button; Enter presses it.
    await page.keyboard.press("Shift+Tab")
    focused = page.locator("#choices button:focus")
    await expect(focused).to_have_count(1)
    outline = await focused.evaluate("b => getComputedStyle(b).outlineStyle")
    assert outline == "solid", "keyboard focus is not visible"
    await page.keyboard.press("Enter")
    await wait_reply(page, before)
    # Focus moves to the new buttons, so the next choice is one key away.
    await expect(page.locator("#choices button:focus")).to_have_count(1)
    await assert_newest_in_view(page)


async def test_larger_text_is_remembered(browser: Browser, base_url: str) -> None:
    page = await greeted(browser, base_url, viewport=PHONE)
    switch = page.get_by_role("button", name="Chữ to")
    await expect(switch).to_have_attribute("aria-pressed", "false")
    await switch.click()
    await expect(switch).to_have_attribute("aria-pressed", "true")
    size = "() => getComputedStyle(document.querySelector('.msg.bot')).fontSize"
    assert await page.evaluate(size) == "24px"
    await page.reload()
    await expect(page.get_by_role("button", name="Chữ to")).to_have_attribute(
        "aria-pressed", "true"
    )
    assert await page.evaluate(size) == "24px"
    await page.get_by_role("button", name="Chữ to").click()
    assert await page.evaluate(size) == "20px"


_FAKE_SPEECH = """(lang => {
  window.spoken = [];
  const voice = {lang, name: 'test voice', default: true, localService: true, voiceURI: lang};
  Object.defineProperty(window, 'speechSynthesis', {configurable: true, value: {
    getVoices: () => [voice], speak: u => window.spoken.push({text: u.text, lang: u.lang}),
    cancel: () => {}, addEventListener: () => {},
  }});
  window.SpeechSynthesisUtterance = function (text) { this.text = text; };
})"""


async def test_read_aloud_uses_a_vietnamese_voice(browser: Browser, base_url: str) -> None:
    page = await browser.new_page(viewport=PHONE)
    await page.add_init_script(f"{_FAKE_SPEECH}('vi-VN')")
    await page.goto(base_url)
    read = page.locator(".msg.bot").first.get_by_role("button", name="🔊 Đọc to")
    await expect(read).to_be_visible()
    await read.click()
    spoken = await page.evaluate("window.spoken")
    assert len(spoken) == 1 and spoken[0]["lang"] == "vi-VN"
    assert spoken[0]["text"].startswith("Xin chào!") and "👋" not in spoken[0]["text"]
    stop = page.locator(".msg.bot").first.locator(".speak")
    await expect(stop).to_have_attribute("aria-pressed", "true")
    await expect(stop).to_have_text("⏹ Dừng đọc")
    await stop.click()
    await expect(stop).to_have_attribute("aria-pressed", "false")
    assert len(await page.evaluate("window.spoken")) == 1


async def test_read_aloud_hides_itself_without_a_vietnamese_voice(
    browser: Browser, base_url: str
) -> None:
    page = await browser.new_page(viewport=PHONE)
    await page.add_init_script(f"{_FAKE_SPEECH}('en-US')")
    await page.goto(base_url)
    await expect(page.locator(".msg.bot").first).to_contain_text("Xin chào")
    await expect(page.locator(".speak").first).to_be_hidden()


async def _answer_with(page: Page, status: int, body: dict[str, Any] | None) -> None:
    async def handle(route: Route) -> None:
        if body is None:
            await route.abort("internetdisconnected")
        else:
            await route.fulfill(status=status, json=body)

    await page.unroute("**/api/chat")
    await page.route("**/api/chat", handle)


@pytest.mark.parametrize(
    ("status", "body", "told"),
    [
        (500, {"error": "internal", "message": "internal error"}, "Hệ thống đang bận"),
        (400, {"error": "bad_request", "message": "'text' is longer"}, "chưa gửi được"),
        (413, {"error": "too_large", "message": "body too large"}, "dài quá"),
        (
            429,
            {"error": "rate_limited", "message": "Bạn gửi hơi nhanh ạ.", "retry_after": 3},
            "Bạn gửi hơi nhanh ạ.",
        ),
        (0, None, "mất kết nối"),
    ],
    ids=["500", "400", "413", "429", "offline"],
)
async def test_a_failed_send_is_explained_and_the_text_kept(
    browser: Browser, base_url: str, status: int, body: dict[str, Any] | None, told: str
) -> None:
    page = await greeted(browser, base_url, viewport=PHONE)
    await _answer_with(page, status, body)
    await page.fill("#text", "cách cài VNeID")
    await page.press("#text", "Enter")
    await expect(page.locator(".msg.notice")).to_contain_text(told)
    await expect(page.locator("#text")).to_have_value("cách cài VNeID")
    assert await page.locator(".msg.me").count() == 0, "an unsent message is shown as sent"
    assert "internal" not in await page.locator("#log").inner_text()
    # A failed button press gives the buttons back.
    await page.locator("#choices button").first.click()
    await expect(page.locator(".msg.notice")).to_have_count(2)
    await expect(page.locator("#choices button").first).to_be_enabled()
    # Once the server answers again, the same text goes through.
    await page.unroute("**/api/chat")
    await say(page, await page.input_value("#text"))
    assert await page.locator(".msg.me").count() == 1


async def test_long_messages_are_never_cut_silently(browser: Browser, base_url: str) -> None:
    page = await greeted(browser, base_url, viewport=PHONE)
    assert not await page.locator("#text").evaluate("t => t.hasAttribute('maxlength')")
    long_text = "Tôi muốn hỏi về VNeID. " * 55  # about 1,260 characters
    await page.fill("#text", long_text)
    await expect(page.locator("#hint")).to_contain_text("khá dài")
    await page.press("#text", "Enter")
    await wait_reply(page, 1)
    # All of it was sent; the bot itself asks politely for a shorter question.
    assert await page.locator(".msg.me").last.inner_text() == long_text.strip()
    await expect(page.locator("#log .newest")).to_contain_text("khá dài")
    await expect(page.locator("#hint")).to_be_hidden()

    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/chat" in r.url else None)
    huge = "a" * 5001
    await page.fill("#text", huge)
    await expect(page.locator("#hint")).to_contain_text("quá dài")
    await page.press("#text", "Enter")
    await expect(page.locator("#text")).to_have_value(huge)
    assert requests == [] and await page.locator(".msg.me").count() == 1


async def test_sources_are_short_links(browser: Browser, base_url: str) -> None:
    page = await greeted(browser, base_url, viewport=PHONE)
    session = json.loads(await page.evaluate("localStorage.getItem('cds-chat-v1')"))["session"]
    reply = {
        "text": "Bạn làm theo hướng dẫn tại https://dichvucong.gov.vn/p/home/dvc-huong-dan.html.",
        "buttons": [{"label": "🏠 Về menu chính", "payload": "menu:main"}],
        "links": [
            {
                "label": "Nguồn: Báo Dân trí, kiểm tra 04/01/2025",
                "url": "https://dantri.com.vn/a/b.htm",
            },
            {"label": "không an toàn", "url": "javascript:alert(1)"},
        ],
    }
    await _answer_with(page, 200, {"session": session, "replies": [reply]})
    await say(page, "hướng dẫn nộp hồ sơ")
    newest = page.locator("#log .newest")
    source = newest.get_by_role("link", name="Nguồn: Báo Dân trí, kiểm tra 04/01/2025")
    await expect(source).to_have_attribute("href", "https://dantri.com.vn/a/b.htm")
    await expect(source).to_have_attribute("target", "_blank")
    await expect(source).to_have_attribute("rel", "noopener noreferrer")
    await expect(newest.locator(".sources")).to_have_text("Nguồn: Báo Dân trí, kiểm tra 04/01/2025")
    site = newest.get_by_role("link", name="dichvucong.gov.vn", exact=True)
    await expect(site).to_have_attribute(
        "href", "https://dichvucong.gov.vn/p/home/dvc-huong-dan.html"
    )
    assert "https://" not in await newest.inner_text()
    assert await page.locator("a[href^='javascript:']").count() == 0
    await expect(newest).not_to_contain_text("không an toàn")


@pytest.fixture
async def portal() -> AsyncIterator[tuple[str, dict[str, str]]]:
    """Another site (another origin) that adds the chat with the one script tag."""
    config: dict[str, str] = {}

    async def home(request: web.Request) -> web.Response:
        return web.Response(
            content_type="text/html",
            text=(
                '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
                "<title>Cổng thông tin điện tử tỉnh</title></head><body><main>"
                "<h1>Cổng thông tin điện tử tỉnh Quảng Ngãi</h1>"
                "<p>Tin tức, thông báo và dịch vụ công của tỉnh.</p></main>"
                f'<script src="{config["bot"]}/static/embed.js" async></script></body></html>'
            ),
        )

    app = web.Application()
    app.router.add_get("/", home)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", config
    finally:
        await runner.cleanup()


async def test_one_script_tag_embeds_the_chat_on_an_allowed_site(
    tmp_path: Path, browser: Browser, portal: tuple[str, dict[str, str]]
) -> None:
    portal_url, config = portal
    async with bot_server(tmp_path, web_embed_origins=portal_url) as (_runtime, bot_url, _ids):
        config["bot"] = bot_url
        page = await browser.new_page(viewport=DESKTOP)
        await page.goto(portal_url)
        launcher = page.get_by_role("button", name="💬 Hỏi đáp Chuyển đổi số")
        assert await serious_accessibility_problems(page) == []
        await launcher.click()
        chat = page.frame_locator("iframe[title='Trợ lý Chuyển đổi số']")
        await expect(chat.locator(".msg.bot").first).to_contain_text("Xin chào")
        await chat.locator("#choices").get_by_role("button", name="📚 Xem theo chủ đề").click()
        await expect(chat.locator(".msg.bot")).to_have_count(2)
        await page.screenshot(path=screenshot_path("desktop-embedded.png"))
        # The chat's own ✕ closes the panel; the launcher opens it again.
        await chat.get_by_role("button", name="Đóng cửa sổ trò chuyện").click()
        await expect(page.locator("iframe")).to_be_hidden()
        await expect(launcher).to_have_attribute("aria-expanded", "false")

        phone = await browser.new_page(viewport=PHONE)
        await phone.goto(portal_url)
        await phone.get_by_role("button", name="💬 Hỏi đáp Chuyển đổi số").click()
        frame = phone.locator("iframe")
        await expect(phone.frame_locator("iframe").locator(".msg.bot").first).to_contain_text(
            "Xin chào"
        )
        box = await frame.bounding_box()
        assert box is not None and (box["width"], box["height"]) == (390, 844)
        await phone.frame_locator("iframe").locator("#text").press("Escape")
        await expect(frame).to_be_hidden()
