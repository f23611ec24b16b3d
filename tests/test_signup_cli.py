"""Organizer commands (import, list, export), the session file, reminders, the migration."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.engine import Connection

from bot import cli
from bot.clock import VN_TZ, ManualClock
from bot.config import Settings
from bot.context import AppContext
from bot.dispatcher import Dispatcher
from faq.answers import campaign_year
from handlers.signup.cli import export_csv, import_file, list_sessions
from handlers.signup.notices import queue_day_before_reminders
from storage import help_sessions, signups
from storage.db import _alembic_config, create_engine
from storage.models import Base, OutboxMessage
from tests.signup_support import add_sessions, book_via_chat, rows, spec
from tests.support import Chat

SAMPLE = Path(__file__).parent.parent / "handlers" / "data" / "sample_sessions.yaml"
NOW = dt.datetime(2026, 9, 28, 2, 0, tzinfo=dt.UTC)

SESSION_FILE = """\
year: 2026
defaults:
  topics: [Cài đặt VNeID]
  bring: Điện thoại, thẻ căn cước
sessions:
  - id: a
    title: Buổi A
    place: Nhà văn hóa thôn 1
    address: Gần chợ
    commune: Xã Nghĩa Hành
    day: 3
    start: "07:30"
    end: 11:00
    capacity: {capacity_a}
    contact: Đoàn Thanh niên xã Nghĩa Hành
  - id: b
    title: {title_b}
    place: Trung tâm phục vụ hành chính công phường Cẩm Thành
    address: Tầng 1
    commune: Phường Cẩm Thành
    date: 2026-10-05
    start: "14:00"
    end: "16:30"
    capacity: 20
    contact: Tổ công nghệ số cộng đồng phường Cẩm Thành
"""


def write(
    tmp_path: Path, *, capacity_a: int = 2, title_b: str = "Buổi B", only_b: bool = False
) -> Path:
    text = SESSION_FILE.format(capacity_a=capacity_a, title_b=title_b)
    if only_b:
        head, _, rest = text.partition("  - id: a\n")
        text = head + "  - id: b\n" + rest.partition("  - id: b\n")[2]
    path = tmp_path / "sessions.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def run_import(settings: Settings, path: Path, **flags: bool) -> tuple[int, str]:
    out = io.StringIO()
    code = await import_file(settings, path, NOW, out=out, **flags)
    return code, out.getvalue()


def test_campaign_year_is_the_next_october_to_come() -> None:
    assert campaign_year(None, dt.datetime(2026, 3, 1, tzinfo=dt.UTC)) == 2026
    assert campaign_year(None, dt.datetime(2026, 10, 10, 16, 0, tzinfo=dt.UTC)) == 2026  # 23:00
    assert campaign_year(None, dt.datetime(2026, 10, 10, 17, 0, tzinfo=dt.UTC)) == 2027  # 11/10
    assert campaign_year(2030, dt.datetime(2026, 3, 1, tzinfo=dt.UTC)) == 2030


async def test_sample_file_imports_upcoming_sessions(app: AppContext, settings: Settings) -> None:
    code, output = await run_import(settings, SAMPLE)
    assert code == 0 and "created 10" in output
    async with app.open_db() as db:
        sessions = [s.session for s in await help_sessions.all_sessions(db)]
    assert len({s.commune for s in sessions}) >= 5
    for session in sessions:
        local = session.starts_at.astimezone(VN_TZ)
        assert (local.year, local.month) == (2026, 10) and 1 <= local.day <= 10
        assert session.starts_at > NOW
        assert not any(ch.isdigit() for ch in session.contact)  # a role, not a phone number
        assert "huyện" not in f"{session.place} {session.address} {session.commune}".lower()
    code, output = await run_import(settings, SAMPLE, if_empty=True)
    assert code == 0 and "already present" in output


async def test_import_creates_updates_and_is_idempotent(
    app: AppContext, settings: Settings, tmp_path: Path
) -> None:
    assert (await run_import(settings, write(tmp_path)))[1].startswith("created 2, updated 0")
    assert "created 0, updated 0, unchanged 2" in (await run_import(settings, write(tmp_path)))[1]
    _, output = await run_import(settings, write(tmp_path, title_b="Buổi B mới"))
    assert "updated 1, unchanged 1" in output
    async with app.open_db() as db:
        b = await help_sessions.session_by_slug(db, "b")
        a = await help_sessions.session_by_slug(db, "a")
    assert b is not None and b.title == "Buổi B mới"
    assert a is not None and a.starts_at.astimezone(VN_TZ).strftime("%d/%m %H:%M") == "03/10 07:30"
    assert a.ends_at.astimezone(VN_TZ).strftime("%H:%M") == "11:00"  # unquoted 11:00 in YAML
    _, output = await run_import(settings, write(tmp_path, title_b="X"), dry_run=True)
    assert "dry run" in output
    async with app.open_db() as db:
        assert (await help_sessions.session_by_slug(db, "b")).title == "Buổi B mới"  # type: ignore[union-attr]


async def test_capacity_below_confirmed_is_refused_and_raising_it_promotes(
    app: AppContext,
    settings: Settings,
    dispatcher: Dispatcher,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await run_import(settings, write(tmp_path, capacity_a=2))
    ids = await add_sessions(app)  # just read the ids back
    for person in ("p1", "p2", "p3"):
        await book_via_chat(Chat(dispatcher, person), ids["a"])
    code, _ = await run_import(settings, write(tmp_path, capacity_a=1, title_b="changed"))
    assert code == 1
    assert "capacity 1 is below the 2 confirmed" in capsys.readouterr().err
    async with app.open_db() as db:
        assert (await help_sessions.session_by_slug(db, "a")).capacity == 2  # type: ignore[union-attr]
        assert (await help_sessions.session_by_slug(db, "b")).title == "Buổi B"  # type: ignore[union-attr]
    code, output = await run_import(settings, write(tmp_path, capacity_a=3))
    assert code == 0 and "promoted from waitlist 1" in output
    assert {r.chat_id: r.status for r in await rows(app)}["p3"] == "confirmed"
    async with app.open_db() as db:
        [notice] = (await db.execute(select(OutboxMessage))).scalars().all()
    assert notice.chat_id == "p3" and "Tin vui" in notice.reply["text"]


async def test_sessions_with_signups_are_never_silently_deleted(
    app: AppContext,
    settings: Settings,
    dispatcher: Dispatcher,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await run_import(settings, write(tmp_path))
    ids = await add_sessions(app)
    await book_via_chat(Chat(dispatcher, "p1"), ids["a"])
    _, output = await run_import(settings, write(tmp_path, only_b=True))
    assert "kept (not in file) 1" in output
    code, _ = await run_import(settings, write(tmp_path, only_b=True), prune=True)
    assert code == 1 and "a: not in the file but has 1 active sign-up" in capsys.readouterr().err
    async with app.open_db() as db:
        assert await help_sessions.session_by_slug(db, "a") is not None
    [row] = await rows(app)
    async with app.transaction() as db:
        await signups.cancel(db, row.id, app.clock.now())
    code, output = await run_import(settings, write(tmp_path, only_b=True), prune=True)
    assert code == 0 and "deleted 1" in output


async def test_file_errors_name_the_line_and_field(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "sessions:\n"
        "  - id: ok-1\n"
        "    title: T\n    place: P\n    address: A\n    commune: Xã X\n"
        "    day: 3\n    start: '25:00'\n    end: '11:00'\n"
        "    capacity: nhiều\n    topics: [VNeID]\n"
        "    contact: Anh Nam 0912 345 678\n"
        "  - id: ok-1\n"
        "    title: T\n    place: P\n    address: A\n    commune: Xã X\n"
        "    day: 3\n    start: '08:00'\n    end: '11:00'\n"
        "    capacity: 5\n    topics: [VNeID]\n    contact: Đoàn Thanh niên xã X\n"
        "    colour: red\n",
        encoding="utf-8",
    )
    code, _ = await run_import(settings, path)
    err = capsys.readouterr().err
    assert code == 1 and "nothing imported" in err
    assert f"{path}:8: session 'ok-1': field 'start'" in err
    assert f"{path}:10: session 'ok-1': field 'capacity'" in err
    assert f"{path}:12: session 'ok-1': field 'contact'" in err
    assert f"{path}:24: session 'ok-1': field 'colour': unknown field" in err


async def test_list_shows_seats_and_waitlist(
    app: AppContext, settings: Settings, dispatcher: Dispatcher, tmp_path: Path
) -> None:
    await run_import(settings, write(tmp_path, capacity_a=1))
    ids = await add_sessions(app)
    await book_via_chat(Chat(dispatcher, "p1"), ids["a"])
    await book_via_chat(Chat(dispatcher, "p2"), ids["a"])
    out = io.StringIO()
    assert await list_sessions(settings, NOW, out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].split()[:6] == ["id", "start", "(VN)", "cap", "taken", "free"]
    assert lines[1].split()[:7] == ["a", "2026-10-03", "07:30", "1", "1", "0", "1"]
    assert lines[2].split()[:7] == ["b", "2026-10-05", "14:00", "20", "0", "20", "0"]


async def test_export_csv_for_excel(
    app: AppContext, settings: Settings, dispatcher: Dispatcher, tmp_path: Path
) -> None:
    await run_import(settings, write(tmp_path, capacity_a=1))
    ids = await add_sessions(app)
    await book_via_chat(Chat(dispatcher, "p1"), ids["a"], name="Nguyễn Thị Lan")
    await book_via_chat(Chat(dispatcher, "p2"), ids["a"], name="Trần Văn Bình")
    third = Chat(dispatcher, "p3")
    await book_via_chat(third, ids["b"], name="Lê Thị Hồng")
    [*_, row] = await rows(app)
    await third.press(f"signup:dropok:{row.id}")
    target = tmp_path / "dang-ky.csv"
    assert await export_csv(settings, target, out=io.StringIO()) == 0
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    with target.open(encoding="utf-8-sig", newline="") as handle:
        exported = list(csv.DictReader(handle))
    assert [(r["Họ và tên"], r["Trạng thái"]) for r in exported] == [
        ("Nguyễn Thị Lan", "Đã xác nhận"),
        ("Trần Văn Bình", "Danh sách chờ"),
        ("Lê Thị Hồng", "Đã hủy"),
    ]
    first = exported[0]
    assert first["Số điện thoại"] == "0912 345 678"
    assert (first["Mã buổi"], first["Bắt đầu"], first["Xã/phường"]) == (
        "a",
        "03/10/2026 07:30",
        "Xã Nghĩa Hành",
    )
    assert exported[2]["Hủy lúc"] != "" and first["Hủy lúc"] == ""
    only_b = tmp_path / "b.csv"
    await export_csv(settings, only_b, "b", out=io.StringIO())
    with only_b.open(encoding="utf-8-sig", newline="") as handle:
        assert [r["Mã buổi"] for r in csv.DictReader(handle)] == ["b"]
    assert await export_csv(settings, only_b, "missing", out=io.StringIO()) == 1


async def test_day_before_reminder_is_queued_once(
    app: AppContext, clock: ManualClock, dispatcher: Dispatcher
) -> None:
    ids = await add_sessions(app, spec("s", day=3, capacity=1), spec("later", day=6))
    await book_via_chat(Chat(dispatcher, "holder"), ids["s"])
    await book_via_chat(Chat(dispatcher, "waiting"), ids["s"])
    await book_via_chat(Chat(dispatcher, "later"), ids["later"])

    def at(day: int, hour: int) -> dt.datetime:
        return dt.datetime(2026, 10, day, hour, 0, tzinfo=VN_TZ)

    assert await queue_day_before_reminders(app, at(1, 9)) == 0  # two days before
    assert await queue_day_before_reminders(app, at(2, 7)) == 0  # too early in the morning
    assert await queue_day_before_reminders(app, at(2, 9)) == 1
    assert await queue_day_before_reminders(app, at(2, 10)) == 0  # already queued
    async with app.open_db() as db:
        [reminder] = (await db.execute(select(OutboxMessage))).scalars().all()
    holder = next(r for r in await rows(app) if r.chat_id == "holder")
    assert reminder.dedupe_key == f"session-reminder:{holder.id}"
    assert reminder.chat_id == "holder" and "ngày mai" in reminder.reply["text"]
    # The holder cancels: the unsent reminder is withdrawn, the promoted person gets one.
    clock.set(at(2, 11))
    await Chat(dispatcher, "holder").press(f"signup:dropok:{holder.id}")
    assert await queue_day_before_reminders(app, at(2, 12)) == 1
    async with app.open_db() as db:
        keys = [
            m.chat_id
            for m in (await db.execute(select(OutboxMessage))).scalars().all()
            if (m.dedupe_key or "").startswith("session-reminder:") and m.status == "pending"
        ]
    assert keys == ["waiting"]  # the holder's unsent reminder was withdrawn


async def test_migration_matches_the_models_and_downgrades(settings: Settings) -> None:
    engine = create_engine(settings.database_url, settings.database_schema)

    def check(connection: Connection) -> None:
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert [d for d in diffs if "signup" in str(d) or "help_session" in str(d)] == []
        command.downgrade(config, "0001")
        command.upgrade(config, "head")

    try:
        async with engine.begin() as connection:
            await connection.run_sync(check)
    finally:
        await engine.dispose()


def test_command_line_wiring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.db")
    monkeypatch.setenv("CAMPAIGN_YEAR", "2099")
    assert cli.main(["sessions", "import", str(SAMPLE), "--if-empty"]) == 0
    assert "created 10" in capsys.readouterr().out
    assert cli.main(["sessions", "import", str(SAMPLE), "--if-empty"]) == 0
    assert "already present" in capsys.readouterr().out
    assert cli.main(["sessions", "list"]) == 0
    assert "cam-thanh-01-sang" in capsys.readouterr().out
    assert cli.main(["signups", "export", "--csv", str(tmp_path / "x.csv")]) == 0
    assert "0 sign-up(s)" in capsys.readouterr().out
