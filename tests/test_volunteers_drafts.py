"""A volunteer's answer becomes a reviewed FAQ entry that the bot then answers with; the
organizers' commands around it (`faq unanswered`, `faq drafts`, `tickets`)."""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.cli import build_parser
from bot.clock import VN_TZ, ManualClock
from bot.config import Settings
from bot.context import Knowledge, load_knowledge
from bot.runtime import prepare
from faq.kb import default_data_dir
from handlers.registry import PRODUCT
from storage import faq_drafts
from storage.models import FaqDraftStatus
from tests.fake_telegram import FakeTelegram
from tests.support import Chat
from tests.volunteer_support import (
    GROUP,
    LAN,
    WebCitizen,
    arrived,
    collect,
    desk_bot,
    edited_to,
    group_says,
    payloads_of,
    wait_card,
)

QUESTION = "Xã Bình Sơn có chỗ nào in ảnh thẻ căn cước gần ủy ban không?"
ANSWER = "Bác ra tiệm ảnh cạnh chợ, cách ủy ban xã khoảng 200 m; in ảnh thẻ mất chừng 10 phút ạ."
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


async def command(settings: Settings, *argv: str) -> int:
    """`python -m bot ...` in this process (its output goes to capsys)."""
    args: argparse.Namespace = build_parser(PRODUCT).parse_args(list(argv))
    return int(await args.func(args, settings) or 0)


async def test_a_draft_approved_and_then_answered_by_the_bot(
    settings: Settings,
    clock: ManualClock,
    knowledge: Knowledge,
    fake: FakeTelegram,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock.set(datetime.datetime.now(datetime.UTC))  # the commands report on the last days
    fake.add_group(GROUP, forum=True, members={LAN: "Lan"})
    async with aiohttp.ClientSession() as http, desk_bot(settings, clock, knowledge, fake) as bot:
        citizen = WebCitizen(http, f"http://127.0.0.1:{bot.web_port}")
        [fallback] = await citizen.say(QUESTION)
        assert "volunteer:start" in payloads_of([fallback])  # the bot cannot answer it
        [warning] = await citizen.press("volunteer:start")
        assert "volunteer:send" in payloads_of([warning])  # one tap sends what was asked
        [opened] = await citizen.press("volunteer:send")
        assert "phiếu số 1" in opened["text"]
        card = await wait_card(fake, 1)
        [topic] = fake.groups[str(GROUP)].topics
        fake.callback(GROUP, "desk:claim:1", message_id=card["message_id"], user_id=LAN)
        await collect(citizen, arrived("Lan đã nhận"))
        fake.message(GROUP, ANSWER, user_id=LAN, thread_id=topic)
        await collect(citizen, arrived("200 m"))
        fake.message(GROUP, "/dong", user_id=LAN, thread_id=topic)  # a command closes it too
        await collect(citizen, arrived("đã kết thúc"))
        await fake.wait_for(edited_to(fake, card["message_id"], "desk:save:1"))
        fake.callback(GROUP, "desk:save:1", message_id=card["message_id"], user_id=LAN)
        await fake.wait_for(group_says(fake, "bản nháp #1"))
        await fake.wait_for(edited_to(fake, card["message_id"], "Đã lưu bản nháp"))

    capsys.readouterr()
    assert await command(settings, "tickets", "list") == 0
    assert "no open tickets" in capsys.readouterr().out
    assert await command(settings, "tickets", "list", "--all") == 0
    assert "closed (closed)" in capsys.readouterr().out
    assert await command(settings, "tickets", "show", "1") == 0
    shown = capsys.readouterr().out
    assert "citizen: Xã Bình Sơn" in shown and "volunteer: Bác ra tiệm ảnh" in shown
    assert await command(settings, "tickets", "stats") == 0
    assert "Lan (…0001): 1, 1, 0 / 0" in capsys.readouterr().out
    assert await command(settings, "faq", "unanswered") == 0
    assert "answered by volunteers: ticket #1" in capsys.readouterr().out
    assert await command(settings, "faq", "drafts", "list") == 0
    assert "#1" in capsys.readouterr().out
    data_dir = tmp_path / "faq"
    shutil.copytree(default_data_dir(), data_dir)
    organizer = settings.model_copy(update={"faq_data_dir": data_dir})
    assert await command(organizer, "faq", "drafts", "approve", "1", "--topic", "nowhere") == 1
    assert "no topic 'nowhere'" in capsys.readouterr().err
    assert await command(organizer, "faq", "drafts", "approve", "1", "--topic", "vneid") == 0
    assert "volunteer-answer-1" in capsys.readouterr().out
    assert await command(organizer, "faq", "drafts", "reject", "1") == 1  # decided already
    checked = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "faq", "check",
        cwd=ROOT, env={**os.environ, "FAQ_DATA_DIR": str(data_dir)},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await checked.communicate()
    assert checked.returncode == 0, out.decode() + err.decode()

    app, dispatcher = await prepare(organizer, clock, load_knowledge(organizer))
    try:
        async with app.open_db() as db:
            [draft] = await faq_drafts.listing(db)
        assert (draft.status, draft.faq_id, draft.topic) == (
            FaqDraftStatus.APPROVED,
            "volunteer-answer-1",
            "vneid",
        )
        [reply] = await Chat(dispatcher, "another-citizen").say(QUESTION)
    finally:
        await app.close()
    assert reply.text == ANSWER
    today = datetime.datetime.now(VN_TZ).date()
    assert [link.label for link in reply.links] == [
        f"Nguồn: tình nguyện viên, kiểm tra {today:%d/%m/%Y}"
    ]
