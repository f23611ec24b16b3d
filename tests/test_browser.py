"""The web chat in real headless Chromium at phone size: the FAQ, the whole sign-up with a
waitlist seat pushed to the page, my bookings and cancelling; a double tap sends once."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Request, expect

from bot.runtime import Runtime
from storage.models import Signup
from tests.browser_support import (
    PHONE,
    artifact_path,
    assert_newest_in_view,
    bot_count,
    bot_server,
    chromium,
    needs_chromium,
    press,
    press_first,
    say,
    screenshot_path,
    serious_accessibility_problems,
    upcoming,
    wait_reply,
)
from tests.signup_support import book_via_chat, rows
from tests.support import Chat

pytestmark = needs_chromium

COMMUNE = "Xã Nghĩa Hành"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[tuple[Runtime, str, dict[str, int]]]:
    sessions = (
        upcoming("nghia-hanh-full", COMMUNE, days=3, capacity=1),
        upcoming("nghia-hanh-open", COMMUNE, days=4),
        upcoming("cam-thanh-1", "Phường Cẩm Thành", days=5),
        upcoming("cam-thanh-2", "Phường Cẩm Thành", days=6),
        upcoming("ly-son", "Đặc khu Lý Sơn", days=6),
        upcoming("ba-to", "Xã Ba Tơ", days=7),
        upcoming("mang-den", "Xã Măng Đen", days=8),
    )
    async with bot_server(tmp_path, *sessions) as served:
        yield served


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as found:
        yield found


class Requests:
    """Counts the page's requests to one API path."""

    def __init__(self, page: Page, path: str) -> None:
        self.seen: list[Request] = []
        page.on("request", lambda r: self.seen.append(r) if path in r.url else None)

    def __len__(self) -> int:
        return len(self.seen)


async def web_chat_id(page: Page) -> str:
    stored = await page.evaluate("localStorage.getItem('cds-chat-v1')")
    return str(json.loads(stored)["session"])


async def test_faq_and_the_whole_signup_at_phone_size(
    server: tuple[Runtime, str, dict[str, int]], browser: Browser
) -> None:
    runtime, base_url, session_ids = server
    page = await browser.new_page(viewport=PHONE)
    await page.goto(base_url)
    await expect(page.locator(".msg.bot").first).to_contain_text("Xin chào")
    await assert_newest_in_view(page)
    assert await serious_accessibility_problems(page) == []

    # The FAQ, by topic and by typing.
    await press(page, "📚 Xem theo chủ đề")
    await page.screenshot(path=screenshot_path("phone-topics.png"))
    await press(page, "Định danh điện tử VNeID")
    await press_first(page)
    await say(page, "quen mat khau vneid thi lam sao")
    await expect(page.locator("#log .newest")).to_contain_text("VNeID")
    await page.screenshot(path=screenshot_path("phone-answer.png"))
    assert await serious_accessibility_problems(page) == []

    attack = "<b id='x'>đậm</b><script>window.pwned=1</script>"
    await say(page, attack)
    await expect(page.locator(".msg.me").last).to_have_text(attack)
    assert await page.locator("#log b#x").count() == 0
    assert await page.evaluate("window.pwned === undefined")

    # Someone else takes the only seat of the first session.
    other = Chat(runtime.dispatcher, chat_id="other-person-0001", channel="web")
    await book_via_chat(other, session_ids["nghia-hanh-full"], name="Trần Văn Bình")

    # The whole sign-up, from the main menu: that session is full, so the waitlist.
    await press(page, "🏠 Về menu chính")
    await press(page, "📝 Đăng ký buổi hỗ trợ")
    await press(page, f"{COMMUNE} (2 buổi)")
    await press_first(page)
    await expect(page.locator("#log .newest")).to_contain_text("danh sách chờ")
    await press(page, "📝 Vào danh sách chờ")
    await press(page, "✅ Tôi đồng ý")
    await say(page, "Nguyễn Thị Lan")
    await say(page, "0912 345 678")
    await press(page, "Cài đặt, kích hoạt VNeID")
    await expect(page.locator("#log .newest")).to_contain_text("Nguyễn Thị Lan")
    await press(page, "✅ Xác nhận đăng ký")
    await expect(page.locator("#log .newest")).to_contain_text("danh sách chờ")
    await page.screenshot(path=screenshot_path("phone-signup.png"))

    # The other person cancels: the seat is pushed to the page, without polling or reload.
    updates = Requests(page, "/api/updates")
    before = await bot_count(page)
    theirs = _signup_of(await rows(runtime.app), "other-person-0001")
    started = time.monotonic()
    await other.press(f"signup:dropok:{theirs.id}")
    await wait_reply(page, before)
    latency = time.monotonic() - started
    await expect(page.locator("#log .newest")).to_contain_text("Tin vui")
    assert len(updates) == 0, "the seat came by polling, not by push"
    await assert_newest_in_view(page)
    artifact_path("push-latency.txt").write_text(
        f"waitlist seat on the page after {latency:.3f} s\n"
    )

    # My bookings, and cancelling mine.
    await press(page, "📋 Lượt đăng ký của tôi")
    await expect(page.locator("#log .newest")).to_contain_text("đã có chỗ")
    await press_first(page)
    await press(page, "✅ Đúng, hủy giúp tôi")
    await expect(page.locator("#log .newest")).to_contain_text("Đã hủy")

    # A reload keeps the conversation, its newest buttons, and the session on the server.
    shown = await page.locator(".msg").all_inner_texts()
    await page.reload()
    await expect(page.locator(".msg")).to_have_count(len(shown))
    assert await page.locator(".msg").all_inner_texts() == shown
    await assert_newest_in_view(page)
    await press(page, "📋 Lượt đăng ký của tôi")
    await expect(page.locator("#log .newest")).to_contain_text("chưa có lượt đăng ký")


def _signup_of(signups: list[Signup], chat_id: str) -> Signup:
    return next(s for s in signups if s.chat_id == chat_id)


async def test_a_double_tap_sends_once_and_pressed_rows_are_inert(
    server: tuple[Runtime, str, dict[str, int]], browser: Browser
) -> None:
    _runtime, base_url, _ids = server
    page = await browser.new_page(viewport=PHONE, has_touch=True, is_mobile=True)
    await page.goto(base_url)
    await expect(page.locator(".msg.bot").first).to_contain_text("Xin chào")
    chat_requests = Requests(page, "/api/chat")

    # Two clicks in the same instant (faster than any redraw).
    before = await bot_count(page)
    topics = page.locator("#choices").get_by_role("button", name="📚 Xem theo chủ đề")
    row_disabled = await topics.evaluate(
        """b => { b.click(); b.click();
                  const row = [...document.querySelectorAll('#choices button')];
                  return row.every(x => x.disabled); }"""
    )
    assert row_disabled and await page.locator(".msg.me").count() == 1
    await wait_reply(page, before)
    assert len(chat_requests) == 1 and await bot_count(page) == before + 1

    # A real double click with the mouse.
    before = await bot_count(page)
    await page.locator("#choices").get_by_role("button", name="Về trợ lý này").dblclick()
    assert await page.locator(".msg.me").count() == 2
    await wait_reply(page, before)
    assert len(chat_requests) == 2 and await bot_count(page) == before + 1
    # Only the newest reply's buttons can be pressed; earlier ones are not on the page.
    assert await page.locator("#log button:not(.speak)").count() == 0
    assert await page.locator("#choices button:disabled").count() == 0


async def test_without_event_streams_the_page_falls_back_to_polling(
    server: tuple[Runtime, str, dict[str, int]], browser: Browser
) -> None:
    runtime, base_url, _ids = server
    page = await browser.new_page(viewport=PHONE)
    await page.add_init_script("delete window.EventSource")
    await page.goto(base_url)
    await expect(page.locator(".msg.bot").first).to_contain_text("Xin chào")
    updates = Requests(page, "/api/updates")
    from bot.messages import Reply

    await runtime.app.channels["web"].send(
        await web_chat_id(page), Reply("Tin từ tình nguyện viên")
    )
    await page.reload()  # a page with a conversation polls at once, then every 10 s
    await expect(page.locator("#log .newest")).to_contain_text("Tin từ tình nguyện viên")
    assert len(updates) >= 1
