"""The overview's question counts: kept in memory by each worker, written in one go, never
lost by a failed write, and the job that writes them runs on every worker."""

from __future__ import annotations

from unittest import mock

import pytest

from bot.clock import to_local
from bot.context import AppContext
from handlers.faq import feature as faq_feature
from handlers.faq import tally
from storage import question_counts
from tests.support import Chat


async def stored(app: AppContext) -> dict[str, int]:
    day = to_local(app.clock.now()).date()
    async with app.open_db() as db:
        return (await question_counts.per_day(db, day, day)).get(day.isoformat(), {})


async def test_turns_count_in_memory_and_a_write_adds_them_up(app: AppContext, chat: Chat) -> None:
    await chat.say("quên mật khẩu vneid thì làm sao")
    await chat.say("dang ky dinh danh muc 2 o dau")
    await chat.say("xyzzy qwerty plugh")
    assert await stored(app) == {}  # no turn wrote to the shared row
    await tally.write(app)
    first = await stored(app)
    assert sum(first.values()) == 3 and first.get("fallback", 0) >= 1
    await chat.say("xin chào")
    await tally.write(app)
    await tally.write(app)  # nothing new: nothing added twice
    assert sum((await stored(app)).values()) == 4


async def test_a_failed_write_keeps_the_counts_for_the_next(app: AppContext, chat: Chat) -> None:
    await chat.say("quên mật khẩu vneid thì làm sao")
    with (
        mock.patch.object(question_counts, "add", side_effect=RuntimeError("database down")),
        pytest.raises(RuntimeError),
    ):
        await tally.write(app)
    await tally.write(app)
    assert sum((await stored(app)).values()) == 1


def test_the_writing_job_runs_on_every_worker() -> None:
    [job] = faq_feature.jobs
    assert job.every_worker and faq_feature.on_stop is tally.write
