"""A real `python -m bot run` serving both Zalo surfaces at DEBUG: no token reaches the log.

The Zalo Bot token sits in every request URL (`/bot<TOKEN>/<method>`, S5, S6), the OA
tokens in a header and a form body; none of them, nor a full chat id, may be logged, even
when Zalo answers errors or times out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.clock import SystemClock
from bot.config import Settings
from tests.fake_zalo import (
    BOT_TOKEN,
    OA_APP_ID,
    OA_APP_SECRET,
    OA_SECRET_KEY,
    FakeZaloBot,
    FakeZaloOA,
    bot_fault,
    oa_fault,
)
from tests.processes import BotProcess
from tests.zalo_support import store_tokens

BOT_CITIZEN = "e4ea2cd5189df1c3a88c"
OA_CITIZEN = "6142494823000000005"


@pytest.mark.parametrize("settings", ["sqlite"], indirect=True)
async def test_no_zalo_token_or_chat_id_reaches_the_log(settings: Settings, tmp_path: Path) -> None:
    clock = SystemClock()
    async with FakeZaloBot(clock.now) as bot_api, FakeZaloOA(clock.now) as oa:
        issued = oa.issue_tokens()
        await store_tokens(settings, issued, clock.now())
        oa.expire_access_token(issued.access_token)  # the first send refreshes it
        env = {
            "DATABASE_URL": settings.database_url,
            "LOG_LEVEL": "DEBUG",
            "ZALO_BOT_TOKEN": BOT_TOKEN,
            "ZALO_BOT_API_BASE": bot_api.base_url,
            "ZALO_OA_APP_ID": OA_APP_ID,
            "ZALO_OA_SECRET_KEY": OA_SECRET_KEY,
            "ZALO_OA_APP_SECRET": OA_APP_SECRET,
            "ZALO_OA_API_BASE": oa.api_base,
            "ZALO_OAUTH_BASE": oa.oauth_base,
        }
        bot_api.fail("getUpdates", bot_fault(502, "Bad Gateway"))
        process = BotProcess(env, tmp_path / "bot.log")
        port = await process.start()
        try:
            bot_api.fail("sendMessage", bot_fault(500, f"Internal error for {BOT_TOKEN}"))
            bot_api.inject_text(BOT_CITIZEN, "/start")
            await bot_api.wait_for(lambda: len(bot_api.sent) == 1, within=30)
            url = f"http://127.0.0.1:{port}/zalo/oa/webhook"
            oa.fail("message/cs", oa_fault(-216))  # refreshed, then retried once
            assert (await oa.post_event(url, oa.text_event(OA_CITIZEN, "/start")))[0] == 200
            forged = oa.text_event(OA_CITIZEN, "/help", secret="guess")
            assert (await oa.post_event(url, forged))[0] == 403
            await oa.wait_for(lambda: len(oa.messages_to(OA_CITIZEN)) == 1, within=30)
        finally:
            assert await process.stop() == 0
    log = process.log()
    refreshed = [call.answer for call in oa.calls_of("access_token")]
    assert refreshed and all("access_token" in answer for answer in refreshed)
    secrets = [
        BOT_TOKEN,
        BOT_TOKEN.split(":")[1],
        OA_SECRET_KEY,
        OA_APP_SECRET,
        issued.access_token,
        issued.refresh_token,
        *(answer[key] for answer in refreshed for key in ("access_token", "refresh_token")),
    ]
    assert [s for s in secrets if s in log] == []
    assert BOT_CITIZEN not in log and OA_CITIZEN not in log
    assert "Traceback" not in log and "[parameters:" not in log
    for expected in ("getUpdates failed", "polling mode", "access token refreshed"):
        assert expected in log
