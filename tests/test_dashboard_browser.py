"""The dashboard in real Chromium against the whole bot: roles, check-in at phone size,
the overview, accessibility (axe) on every page, the audit log, and the README screenshots."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.async_api import Browser, Page, expect

from bot.runtime import Runtime
from faq.kb import default_data_dir
from handlers.dashboard import account_admin
from storage import audit, faq_drafts
from tests.browser_support import (
    DESKTOP,
    PHONE,
    artifact_path,
    bot_server,
    chromium,
    needs_chromium,
    press,
    press_first,
    say,
    screenshot_path,
    serious_accessibility_problems,
    upcoming,
)
from tests.dashboard_support import DASHBOARD, PASSWORD, add_accounts
from tests.signup_support import book_via_chat, rows
from tests.support import Chat

pytestmark = needs_chromium
COMMUNE = "Xã Nghĩa Hành"
Served = tuple[Runtime, str, dict[str, int]]


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Served]:
    async with bot_server(
        tmp_path,
        upcoming("nghia-hanh", COMMUNE, days=2, capacity=5),
        quiet_hours="03:00-03:01",  # announcements go out whenever the test runs
        **DASHBOARD,
    ) as served:
        runtime = served[0]
        await add_accounts(runtime.app)
        async with runtime.app.transaction() as db:
            await account_admin.assign(
                db, "cuavao", "nghia-hanh", "test", runtime.app.clock.now(), on=True
            )
        yield served


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as found:
        yield found


async def logged_in(browser: Browser, base_url: str, username: str, **options: object) -> Page:
    page = await browser.new_page(**options)  # type: ignore[arg-type]
    await page.goto(f"{base_url}/dashboard/")
    await expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    await page.get_by_label("Tên đăng nhập").fill(username)
    await page.get_by_label("Mật khẩu").fill(PASSWORD)
    await page.get_by_role("button", name="Đăng nhập").click()
    await expect(page.get_by_role("button", name="Đăng xuất")).to_be_visible()
    return page


async def assert_accessible(page: Page) -> None:
    assert await serious_accessibility_problems(page) == [], page.url


async def test_wrong_password_is_refused_in_the_browser(server: Served, browser: Browser) -> None:
    _, base_url, _ = server
    page = await browser.new_page(viewport=PHONE)
    await page.goto(f"{base_url}/dashboard/overview")
    await page.get_by_label("Tên đăng nhập").fill("bantochuc")
    await page.get_by_label("Mật khẩu").fill("không phải mật khẩu")
    await page.get_by_role("button", name="Đăng nhập").click()
    await expect(page.get_by_role("alert")).to_contain_text("chưa đúng")
    await assert_accessible(page)


async def test_check_in_at_the_door_then_the_overview(server: Served, browser: Browser) -> None:
    runtime, base_url, ids = server
    app = runtime.app
    app.settings = app.settings.model_copy(update={"dashboard_public_url": f"{base_url}/dashboard"})
    # A citizen signs up on the web chat, on a phone, and asks a few questions.
    web = await browser.new_page(viewport=PHONE)
    await web.goto(base_url)
    await expect(web.locator(".msg.bot").first).to_contain_text("Xin chào")
    await press(web, "📝 Đăng ký buổi hỗ trợ")
    await press_first(web)
    await press(web, "✅ Tôi đồng ý")
    await say(web, "Nguyễn Thị Lan")
    await say(web, "0912 345 678")
    await press_first(web)
    await press(web, "✅ Xác nhận đăng ký")
    newest = web.locator("#log .newest")
    await expect(newest).to_contain_text("Đăng ký thành công")
    [signup] = await rows(app)
    assert signup.code in await newest.inner_text()
    qr = newest.locator("img.qr")
    await expect(qr).to_be_visible()
    assert await qr.evaluate("img => img.complete && img.naturalWidth > 0")
    await qr.scroll_into_view_if_needed()
    await web.screenshot(path=screenshot_path("booking-qr.png"))
    link = f"{base_url}/dashboard/checkin?code={signup.code}"
    assert await qr.get_attribute("src") == f"/api/qr.svg?text={quote(link, safe='')}"
    for question in (
        "quen mat khau vneid thi lam sao",
        "nộp hồ sơ online ở đâu",
        "giá vé xe buýt?",
    ):
        await say(web, question)

    # The door volunteer, on a phone: only the check-in page and the assigned session.
    door = await logged_in(browser, base_url, "cuavao", viewport=PHONE)
    await expect(door.get_by_role("heading", name="Điểm danh tại cửa")).to_be_visible()
    nav = door.get_by_role("navigation", name="Các trang")
    assert await nav.get_by_role("link").all_inner_texts() == ["Điểm danh"]
    await assert_accessible(door)
    await door.get_by_label("Mã đăng ký của người đến").fill(signup.code.lower())
    await door.get_by_role("button", name="Tìm").click()
    await expect(door.locator("#person")).to_have_text("Nguyễn Thị Lan")
    await door.get_by_role("button", name="Xác nhận có mặt").click()
    await expect(door.get_by_role("status")).to_contain_text("có mặt")
    await door.screenshot(path=screenshot_path("dashboard-checkin.png"), full_page=True)
    assert await door.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    await assert_accessible(door)
    # Again, as scanning the QR code does (its link): nothing changes, and it says so.
    await door.goto(link)
    await expect(door.locator(".card .success")).to_contain_text("Đã có mặt")
    for path in ("overview", "sessions", "accounts", "audit", f"sessions/{ids['nghia-hanh']}"):
        response = await door.goto(f"{base_url}/dashboard/{path}")
        assert response is not None and response.status == 403, path
    await assert_accessible(door)

    # The organizer sees the attendance on the overview and the session.
    office = await logged_in(browser, base_url, "bantochuc", viewport=DESKTOP)
    await expect(office.locator("#attended")).to_have_text("1")
    await expect(office.locator("#questions")).to_have_text("3")
    await office.screenshot(path=screenshot_path("dashboard-overview.png"), full_page=True)
    await assert_accessible(office)
    response = await office.goto(f"{base_url}/dashboard/accounts")
    assert response is not None and response.status == 403
    for path in ("sessions/new", "sessions/import", f"sessions/{ids['nghia-hanh']}/edit"):
        await office.goto(f"{base_url}/dashboard/{path}")
        await assert_accessible(office)
    await office.get_by_role("button", name="Lưu").click()  # unchanged: saved, nobody told
    await expect(office.get_by_role("status")).to_contain_text("Đã lưu")
    await assert_accessible(office)
    await office.goto(f"{base_url}/dashboard/sessions")
    await assert_accessible(office)
    await office.get_by_role("link", name=re.compile("VNeID")).click()
    row = office.locator("table.attendees tbody tr").first
    await expect(row).to_contain_text("09******78")
    await assert_accessible(office)
    await office.emulate_media(media="print")  # the A4 list: no navigation, no buttons
    assert not await office.get_by_role("navigation").is_visible()
    assert not await row.get_by_role("button").is_visible()
    await expect(office.get_by_role("columnheader", name="Ký tên")).to_be_visible()
    await office.pdf(path=str(artifact_path("dashboard-attendees.pdf")), format="A4")
    await office.screenshot(path=artifact_path("dashboard-attendees-print.png"))
    await office.emulate_media(media="screen")
    await row.get_by_role("button", name=re.compile("Hiện số")).click()
    await expect(office.locator(".phone-full")).to_have_text("0912345678")
    async with office.expect_download() as download_info:
        await office.get_by_role("button", name=re.compile("CSV")).click()
    downloaded = await (await download_info.value).path()
    exported = await asyncio.to_thread(Path(downloaded).read_bytes)
    assert exported.startswith("\ufeff".encode()) and "Nguyễn Thị Lan".encode() in exported

    # The admin sees every page, and the audit log has it all.
    admin = await logged_in(browser, base_url, "quantri", viewport=PHONE)
    for path in ("overview", "sessions", "checkin", "accounts", "audit"):
        await admin.goto(f"{base_url}/dashboard/{path}")
        await assert_accessible(admin)
    await expect(admin.locator(".audit-row").first).to_be_visible()
    async with runtime.app.open_db() as db:
        actions = {e.action for e in await audit.recent(db)}
    assert {"login", "checkin", "phone.reveal", "signups.export"} <= actions


async def test_send_an_announcement_and_watch_it_reach_everyone(
    server: Served, browser: Browser
) -> None:
    runtime, base_url, ids = server
    for n in range(3):
        citizen = Chat(runtime.dispatcher, chat_id=f"web-citizen-000{n}", channel="web")
        await book_via_chat(citizen, ids["nghia-hanh"], name="Trần Văn Bình")
    page = await logged_in(browser, base_url, "bantochuc", viewport=PHONE)
    await page.goto(f"{base_url}/dashboard/announcements")
    await assert_accessible(page)
    await page.get_by_label("Nội dung").fill("Buổi hỗ trợ chuyển sang hội trường lớn, tầng 2.")
    await page.get_by_label("Người nhận").select_option("signups:nghia-hanh")
    await page.get_by_role("button", name="Xem trước").click()
    await expect(page.locator(".preview")).to_contain_text("📢 Thông báo từ ban tổ chức")
    await expect(page.locator("#audience-total")).to_have_text("3")
    await assert_accessible(page)
    await page.get_by_label(re.compile("Tôi đã đọc lại")).check()
    await page.get_by_role("button", name="Xác nhận gửi").click()
    # The page refreshes itself until every message has gone out (to the web chat outbox).
    await expect(page.locator("#percent")).to_contain_text("100 %", timeout=30_000)
    await expect(page.locator("#percent")).to_contain_text("đã xong")
    await assert_accessible(page)
    assert "Đã gửi" in await page.locator("table").inner_text()
    await page.goto(f"{base_url}/dashboard/calendar")
    await expect(page.locator("h2", has_text="Ngày 10/10")).to_be_visible()
    await assert_accessible(page)
    async with runtime.app.open_db() as db:
        assert "announcement.send" in {e.action for e in await audit.recent(db)}


QUESTION = "Xã Bình Sơn có chỗ nào in ảnh thẻ căn cước gần ủy ban không?"
ANSWER = "Bác ra tiệm ảnh cạnh chợ, cách ủy ban xã khoảng 200 m; in ảnh thẻ mất chừng 10 phút ạ."


async def test_approve_a_faq_draft_then_the_bot_answers_with_it(
    tmp_path: Path, browser: Browser
) -> None:
    data_dir = tmp_path / "faq"
    await asyncio.to_thread(shutil.copytree, default_data_dir(), data_dir)
    async with bot_server(tmp_path, faq_data_dir=data_dir, **DASHBOARD) as (runtime, base_url, _):
        await add_accounts(runtime.app)
        async with runtime.app.transaction() as db:
            await faq_drafts.save(db, 7, QUESTION, ANSWER, runtime.app.clock.now())
        page = await logged_in(browser, base_url, "bantochuc", viewport=DESKTOP)
        await page.goto(f"{base_url}/dashboard/tickets")
        await assert_accessible(page)
        await page.goto(f"{base_url}/dashboard/questions")
        await assert_accessible(page)
        draft = page.locator(".draft").first
        await draft.get_by_label("Chủ đề").select_option("vneid")
        await draft.get_by_role("button", name="Duyệt và thêm vào hỏi đáp").click()
        await expect(page.get_by_role("status")).to_contain_text("Đã duyệt")
        await expect(page.locator(".draft")).to_have_count(0)
        [reply] = await Chat(runtime.dispatcher, chat_id="web-asker-0001", channel="web").say(
            QUESTION
        )
        assert "tiệm ảnh cạnh chợ" in reply.text
        async with runtime.app.open_db() as db:
            assert "faq_draft.approve" in {e.action for e in await audit.recent(db)}
