"""Announcements: audiences, batches, status, cancel, /thongbao for organizers, the CLI."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.clock import ManualClock
from bot.config import Settings
from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.outbox import OutboxSender
from handlers.reminders import announcements
from handlers.reminders.announcements import Audience, count_audience, queue_due_broadcasts
from storage import broadcasts, outbox_reports
from storage.models import OutboxMessage
from tests.signup_support import add_sessions, book_via_chat, spec
from tests.support import Chat, FakeChannel, joined, payloads
from tests.test_reminders import subscribe

ADMIN = "900001"  # tests/conftest.py: ADMIN_IDS=900001 (a Telegram id)


async def create(
    app: AppContext, audience: str, text: str = "Buổi ở Tịnh Phong dời sang nhà văn hóa"
) -> int:
    async with app.transaction() as db:
        item = await broadcasts.create(
            db,
            text=text,
            audience=audience,
            commune=None,
            send_at=app.clock.now(),
            created_by="test",
            now=app.clock.now(),
        )
        return item.id


async def delivery(app: AppContext, broadcast_id: int) -> dict[str, int]:
    async with app.open_db() as db:
        report = await outbox_reports.status_report(
            db, OutboxMessage.source == broadcasts.source_of(broadcast_id)
        )
    return report.by_status


async def test_audiences_and_delivery_counts(
    dispatcher: Dispatcher, app: AppContext, fake_channel: FakeChannel
) -> None:
    ids = await add_sessions(app, spec("a"), spec("b"))
    await subscribe(Chat(dispatcher, "sub-1"))
    await subscribe(Chat(dispatcher, "sub-2"))
    both = Chat(dispatcher, "both")
    await subscribe(both)
    await book_via_chat(both, ids["a"])
    await book_via_chat(Chat(dispatcher, "signed-b"), ids["b"])
    async with app.open_db() as db:
        now = app.clock.now()
        assert await count_audience(db, Audience.parse("subscribers"), None, now) == {"fake": 3}
        assert await count_audience(db, Audience.parse("signups"), None, now) == {"fake": 2}
        assert await count_audience(db, Audience.parse("signups:b"), None, now) == {"fake": 1}
        assert await count_audience(db, Audience.parse("all"), None, now) == {"fake": 4}
    broadcast_id = await create(app, "all")
    await Chat(dispatcher, "sub-2").press("reminders:stop")  # an opt-out before it is queued
    await queue_due_broadcasts(app)
    await OutboxSender(app).send_due()
    received = sorted(chat for chat, _ in fake_channel.sent)
    assert received == ["both", "signed-b", "sub-1"]  # once each, the opted-out left out
    assert all("Thông báo từ ban tổ chức" in reply.text for _, reply in fake_channel.sent)
    assert await delivery(app, broadcast_id) == {"sent": 3}


async def test_batches_resume_and_cancel_drops_what_is_not_sent(
    dispatcher: Dispatcher,
    app: AppContext,
    fake_channel: FakeChannel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(announcements, "BATCH", 2)
    for n in range(5):
        await subscribe(Chat(dispatcher, f"p{n}"))
    broadcast_id = await create(app, "subscribers")
    assert await announcements._queue_one_batch(app)  # a first batch, then the process dies
    async with app.open_db() as db:
        item = await broadcasts.get(db, broadcast_id)
    assert item is not None and (item.status, item.queued) == ("queuing", 2)
    await queue_due_broadcasts(app)  # the next process resumes from where it stopped
    async with app.open_db() as db:
        item = await broadcasts.get(db, broadcast_id)
        rows = (await db.execute(select(OutboxMessage))).scalars().all()
    assert item is not None and (item.status, item.queued) == ("queued", 5)
    assert sorted(r.chat_id for r in rows) == [f"p{n}" for n in range(5)]
    async with app.transaction() as db:
        assert await broadcasts.cancel(db, broadcast_id, app.clock.now()) == 5
    await OutboxSender(app).send_due()
    assert fake_channel.sent == []
    assert await delivery(app, broadcast_id) == {"cancelled": 5}


async def test_only_organizers_can_announce_from_their_chat(
    dispatcher: Dispatcher,
    app: AppContext,
    fake_channel: FakeChannel,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await subscribe(Chat(dispatcher, "citizen"))
    stranger = Chat(dispatcher, "7100000123", channel="telegram")
    caplog.set_level(logging.WARNING)
    refused = await stranger.say("/thongbao")
    assert "chỉ dành cho ban tổ chức" in joined(refused)
    [logged] = [r.getMessage() for r in caplog.records if "announce refused" in r.getMessage()]
    assert "7100000123" not in logged  # the id is masked
    organizer = Chat(dispatcher, ADMIN, channel="telegram")
    await organizer.say("/thongbao")
    await organizer.say("Buổi hỗ trợ ngày 3/10 ở Tịnh Phong chuyển sang nhà văn hóa thôn 2.")
    preview = await organizer.press("announce:to:subscribers")
    assert "Số người nhận: 1" in joined(preview) and "announce:confirm" in payloads(preview)
    assert await count_queued(app) == 0  # nothing before the explicit confirm
    done = await organizer.press("announce:confirm")
    assert "Đã xếp lịch gửi thông báo" in joined(done)
    await queue_due_broadcasts(app)
    await OutboxSender(app).send_due()
    assert [chat for chat, _ in fake_channel.sent] == ["citizen"]
    assert "nhà văn hóa thôn 2" in fake_channel.sent[0][1].text


async def count_queued(app: AppContext) -> int:
    async with app.open_db() as db:
        return len((await db.execute(select(OutboxMessage))).scalars().all())


async def test_the_cli_previews_sends_follows_and_cancels(
    settings: Settings,
    app: AppContext,
    dispatcher: Dispatcher,
    clock: ManualClock,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await subscribe(Chat(dispatcher, "one"))
    text = tmp_path / "thongbao.txt"
    text.write_text("Hội thảo 10/10 được phát trực tuyến.", encoding="utf-8")
    args = ["broadcast", "send", "--text-file", str(text), "--audience", "subscribers"]
    assert await _cli(settings, [*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Hội thảo 10/10" in out and "fake: 1" in out and "nothing queued" in out
    assert await _cli(settings, [*args, "--at", "2030-10-03 08:00"]) == 0
    assert "queued as announcement 1" in capsys.readouterr().out
    assert await _cli(settings, ["broadcast", "list"]) == 0
    assert "#1 scheduled" in capsys.readouterr().out
    assert await _cli(settings, ["broadcast", "status", "1"]) == 0
    assert "0/0" in capsys.readouterr().out
    assert await _cli(settings, ["broadcast", "cancel", "1"]) == 0
    assert "cancelled" in capsys.readouterr().out
    assert await _cli(settings, [*args[:-1], "nobody"]) == 2


async def _cli(settings: Settings, argv: list[str]) -> int:
    """`python -m bot ...` in this process, on the test's database."""
    import asyncio

    from bot.cli import build_parser
    from bot.features import load_product

    args = build_parser(load_product()).parse_args(argv)
    result = args.func(args, settings)
    return int(await result if asyncio.iscoroutine(result) else result)


def test_campaign_check_finds_the_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "days.yaml"
    bad.write_text(
        "days:\n  - {day: 1, title: A, text: B, tip: no-such-entry}\n"
        "  - {day: 11, title: A, text: B, tip: vneid-what}\n",
        encoding="utf-8",
    )
    assert main(["campaign", "check", str(bad)]) == 1
    assert "1 to 10" in capsys.readouterr().err
    bad.write_text(
        "days:\n  - {day: 1, title: A, text: B, tip: no-such-entry}\n"
        f"  - {{day: 2, title: A, text: '{'x' * 900}', tip: vneid-what}}\n",
        encoding="utf-8",
    )
    assert main(["campaign", "check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "no-such-entry" in err and "day 3: no entry" in err and "Zalo" in err
    assert main(["campaign", "check"]) == 0
    assert "SAMPLE" in capsys.readouterr().out
