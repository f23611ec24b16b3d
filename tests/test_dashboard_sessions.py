"""Dashboard pages over HTTP: session edits under the import rules, the YAML dry run,
check-in rules (assignments, consent, idempotence), the export, and the accounts commands."""

from __future__ import annotations

import argparse
import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer

from bot.cli import build_parser
from bot.config import Settings
from bot.context import AppContext
from handlers.dashboard import account_admin
from handlers.registry import PRODUCT
from storage import audit, dashboard_accounts, help_sessions
from storage.help_sessions import SessionSpec
from storage.models import DashboardRole
from tests.dashboard_support import PASSWORD, add_accounts, csrf_in, dashboard_app, log_in
from tests.signup_support import add_sessions, book_via_chat, rows
from tests.support import Chat


def spec(app: AppContext, slug: str, *, days: int = 3, capacity: int = 5) -> SessionSpec:
    start = app.clock.now().replace(hour=1, minute=0) + timedelta(days=days)
    return SessionSpec(
        slug=slug, title="Hướng dẫn VNeID", place="Nhà văn hóa thôn 1", address="Gần chợ",
        commune="Xã Bình Sơn", starts_at=start, ends_at=start + timedelta(hours=3),
        capacity=capacity, topics=("Cài đặt, kích hoạt VNeID",), bring="", contact="",
    )  # fmt: skip


@pytest.fixture
async def client(app: AppContext) -> AsyncIterator[TestClient]:
    outer = dashboard_app(app)
    await add_accounts(app)
    async with TestClient(TestServer(outer)) as found:
        yield found


async def token(client: TestClient, path: str = "/dashboard/checkin") -> str:
    return csrf_in(await (await client.get(path)).text())


async def actions(app: AppContext) -> list[str]:
    async with app.open_db() as db:
        return [e.action for e in await audit.recent(db)]


async def test_edits_follow_the_import_rules(
    client: TestClient, app: AppContext, chat: Chat
) -> None:
    ids = await add_sessions(app, spec(app, "binh-son"))
    await book_via_chat(chat, ids["binh-son"])
    await book_via_chat(Chat(chat.dispatcher, chat_id="citizen-2"), ids["binh-son"])
    assert (await log_in(client, "bantochuc")).status == 302
    page = await (await client.get(f"/dashboard/sessions/{ids['binh-son']}/edit")).text()
    form = {
        name: value
        for name, value in re.findall(r'name="(\w+)" (?:type="\w+" )?value="([^"]*)"', page)
    }
    form["topics"] = "Cài đặt, kích hoạt VNeID"
    form["capacity"] = "5"  # its input has more attributes than the pattern reads
    refused = await client.post(
        f"/dashboard/sessions/{ids['binh-son']}/edit", data={**form, "capacity": "1"}
    )
    assert refused.status == 400 and "không được ít hơn" in await refused.text()
    moved = await client.post(
        f"/dashboard/sessions/{ids['binh-son']}/edit",
        data={**form, "start": "13:30", "end": "16:00"},
    )
    text = await moved.text()
    assert moved.status == 200, (
        re.findall(r'role="alert">([^<]*)', text) and "Soạn thông báo cho người đã đăng ký" in text
    )
    assert "audience=signups%3Abinh-son" in text
    gone = await client.post(f"/dashboard/sessions/{ids['binh-son']}/delete", data=form)
    assert gone.status == 200 and "còn 2 người đăng ký" in await gone.text()
    async with app.open_db() as db:
        kept = await help_sessions.session_by_slug(db, "binh-son")
    assert kept is not None and f"{kept.starts_at:%H:%M}" == "06:30"  # 13:30 in Vietnam
    created = await client.post(
        "/dashboard/sessions/new",
        data={**form, "slug": "binh-son-2", "date": "2026-10-05", "capacity": "10"},
    )
    assert created.status == 200
    empty = await add_sessions(app)
    deleted = await client.post(
        f"/dashboard/sessions/{empty['binh-son-2']}/delete",
        data={"csrf": form["csrf"]},
        allow_redirects=False,
    )
    assert deleted.status == 303
    assert {"session.edit", "session.create", "session.delete"} <= set(await actions(app))


SESSIONS_FILE = """
year: 2026
defaults:
  topics: [Cài đặt, kích hoạt VNeID]
  contact: Đoàn Thanh niên xã Bình Sơn
sessions:
  - id: binh-son
    title: Hướng dẫn VNeID
    place: Hội trường UBND xã
    address: Gần chợ
    commune: Xã Bình Sơn
    date: 2026-10-01
    start: "08:00"
    end: "11:00"
    capacity: 5
  - id: moi-tinh
    title: Thanh toán bằng mã QR
    place: Nhà văn hóa thôn 2
    address: Cạnh trường tiểu học
    commune: Xã Bình Sơn
    date: 2026-10-02
    start: "08:00"
    end: "11:00"
    capacity: 20
"""


async def test_yaml_upload_dry_run_then_apply(client: TestClient, app: AppContext) -> None:
    await add_sessions(app, spec(app, "binh-son"))
    assert (await log_in(client, "bantochuc")).status == 302
    csrf = await token(client, "/dashboard/sessions/import")
    upload = FormData()
    upload.add_field("csrf", csrf)
    upload.add_field("file", SESSIONS_FILE.encode(), filename="buoi.yaml")
    preview = await (await client.post("/dashboard/sessions/import", data=upload)).text()
    assert "Xem trước (chưa thay đổi gì)" in preview
    assert "Tạo mới: 1 (moi-tinh)" in preview and "binh-son: place" in preview
    async with app.open_db() as db:
        assert len(await help_sessions.all_sessions(db)) == 1
    apply = FormData()
    apply.add_field("csrf", csrf)
    apply.add_field("apply", "yes")
    apply.add_field("yaml", SESSIONS_FILE)
    done = await (await client.post("/dashboard/sessions/import", data=apply)).text()
    assert "Đã nhập xong" in done
    async with app.open_db() as db:
        assert len(await help_sessions.all_sessions(db)) == 2
    bad = FormData()
    bad.add_field("csrf", csrf)
    bad.add_field("file", b"sessions: [{id: x}]", filename="sai.yaml")
    assert (await client.post("/dashboard/sessions/import", data=bad)).status == 400
    assert "sessions.import" in await actions(app)


async def test_check_in_rules(
    client: TestClient, app: AppContext, chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")  # what production logs (SQL parameters are held at WARNING)
    ids = await add_sessions(app, spec(app, "mine"), spec(app, "other", days=4))
    await book_via_chat(chat, ids["other"])
    [theirs] = await rows(app)
    async with app.transaction() as db:
        await account_admin.assign(db, "cuavao", "mine", "test", app.clock.now(), on=True)
    assert (await log_in(client, "cuavao")).status == 302
    csrf = await token(client)
    page = await (await client.get("/dashboard/checkin")).text()
    assert "Xã Bình Sơn" in page and f'value="{ids["other"]}"' not in page
    found = await client.post("/dashboard/checkin/lookup", data={"csrf": csrf, "code": theirs.code})
    assert found.status == 403  # another session's booking
    marked = await client.post(f"/dashboard/checkin/{theirs.id}/attend", data={"csrf": csrf})
    assert marked.status == 403
    missing = await client.post("/dashboard/checkin/lookup", data={"csrf": csrf, "code": "ABC234"})
    assert missing.status == 404
    walk = {
        "csrf": csrf,
        "session": str(ids["mine"]),
        "full_name": "Lê Văn Tám",
        "phone": "0905 123 456",
    }
    assert (await client.post("/dashboard/checkin/walk-in", data=walk)).status == 400  # no consent
    bad_phone = {**walk, "consent": "yes", "phone": "12ab"}
    assert (await client.post("/dashboard/checkin/walk-in", data=bad_phone)).status == 400
    ok = await client.post("/dashboard/checkin/walk-in", data={**walk, "consent": "yes"})
    assert ok.status == 200 and "Lê Văn Tám" in await ok.text()
    walk_other = {**walk, "consent": "yes", "session": str(ids["other"])}
    assert (await client.post("/dashboard/checkin/walk-in", data=walk_other)).status == 403

    # The organizer may check anyone in, once; a second time says so.
    await client.post("/dashboard/logout", data={"csrf": csrf})
    assert (await log_in(client, "bantochuc")).status == 302
    csrf = await token(client)
    linked = await client.get(f"/dashboard/checkin?code={theirs.code.lower()}")
    assert "Xác nhận có mặt" in await linked.text()
    first = await client.post(f"/dashboard/checkin/{theirs.id}/attend", data={"csrf": csrf})
    assert "Đã ghi nhận" in await first.text()
    again = await client.post(f"/dashboard/checkin/{theirs.id}/attend", data={"csrf": csrf})
    assert "đã được điểm danh trước đó" in await again.text()
    assert (await actions(app)).count("checkin") == 1
    exported = await client.post(f"/dashboard/sessions/{ids['other']}/export", data={"csrf": csrf})
    body = await exported.read()
    assert body.startswith("\ufeff".encode())
    [row] = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert row["Có mặt lúc"] and row["Số điện thoại"] == "0912 345 678"
    walk_ins = await client.post(f"/dashboard/sessions/{ids['mine']}/export", data={"csrf": csrf})
    [walked] = list(csv.DictReader(io.StringIO((await walk_ins.read()).decode("utf-8-sig"))))
    assert walked["Đến trực tiếp"] == "có" and walked["Kênh"] == "walk-in"
    assert {"checkin.walk_in", "signups.export"} <= set(await actions(app))
    for secret in ("0912345678", "0912 345 678", "0905123456", PASSWORD, csrf):
        assert secret not in caplog.text


async def command(settings: Settings, *argv: str) -> int:
    args: argparse.Namespace = build_parser(PRODUCT).parse_args(list(argv))
    return int(await args.func(args, settings) or 0)


async def test_accounts_commands(
    app: AppContext, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await add_sessions(app, spec(app, "binh-son"))
    settings = app.settings
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert await command(settings, "accounts", "add", "Lan.TNV", "--role", "door") == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("ngắn\n"))
    assert await command(settings, "accounts", "add", "binh", "--role", "organizer") == 1
    assert "at least 10" in capsys.readouterr().err
    assert await command(settings, "accounts", "assign", "lan.tnv", "binh-son") == 0
    assert await command(settings, "accounts", "assign", "lan.tnv", "khong-co") == 1
    assert await command(settings, "accounts", "disable", "lan.tnv") == 0
    capsys.readouterr()
    assert await command(settings, "accounts", "list") == 0
    listed = capsys.readouterr().out
    assert "lan.tnv" in listed and "door" in listed and "binh-son" in listed
    assert "disabled" in listed and PASSWORD not in listed
    monkeypatch.setattr("sys.stdin", io.StringIO("mật khẩu mới đủ dài\n"))
    assert await command(settings, "accounts", "set-password", "lan.tnv") == 0
    with pytest.raises(SystemExit):  # there is no way to give a password as an argument
        build_parser(PRODUCT).parse_args(
            ["accounts", "add", "x", "--role", "door", "--password", "p"]
        )
    async with app.open_db() as db:
        account = await dashboard_accounts.by_username(db, "lan.tnv")
        assert account is not None and account.role == DashboardRole.DOOR
        assert account.disabled_at is not None
        logged = [(e.actor, e.action) for e in await audit.recent(db)]
    assert ("cli", "account.password") in logged and ("cli", "account.assign") in logged
