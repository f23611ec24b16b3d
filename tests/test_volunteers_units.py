"""Pieces of the volunteer desk on their own: duty hours, what a citizen is promised, codes
masked, the group limiter, first-hand sources, writing an approved entry, the report, the
migration."""

from __future__ import annotations

import datetime
import shutil
from datetime import UTC, timedelta
from pathlib import Path

import pytest
import yaml
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from pydantic import ValidationError
from sqlalchemy.engine import Connection

from bot.clock import VN_TZ, DailyWindow
from bot.config import Settings
from bot.privacy import REDACTED_CODE, redact_personal
from bot.ratelimit import WindowLimiter
from faq.kb import check_knowledge_base, default_data_dir, load_knowledge_base
from handlers.volunteers import drafts
from handlers.volunteers.hours import expectation, time_on_duty
from handlers.volunteers.stats import stats_lines
from storage.db import _alembic_config, create_engine
from storage.models import Base, FaqDraft, Ticket, TicketOutcome, TicketRating, TicketStatus

DAY = DailyWindow.parse("07:30-21:00")
NIGHT = DailyWindow.parse("21:00-07:00")
TODAY = datetime.date(2026, 11, 20)


def vn(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 9, day, hour, minute, tzinfo=VN_TZ)


@pytest.mark.parametrize(
    ("window", "start", "end", "minutes"),
    [
        (DAY, vn(28, 9), vn(28, 9, 45), 45),
        (DAY, vn(28, 20, 40), vn(29, 8, 10), 20 + 40),  # the night does not count
        (DAY, vn(28, 22), vn(29, 7), 0),
        (DAY, vn(28, 6), vn(30, 6), 2 * 13 * 60 + 2 * 30),  # two whole days on duty
        (NIGHT, vn(28, 20), vn(29, 8), 10 * 60),  # a window across midnight
        (NIGHT, vn(29, 6, 30), vn(29, 7, 30), 30),
        (DAY, vn(28, 10), vn(28, 9), 0),
    ],
)
def test_time_on_duty(
    window: DailyWindow,
    start: datetime.datetime,
    end: datetime.datetime,
    minutes: int,
) -> None:
    on_duty = time_on_duty(window, start.astimezone(UTC), end.astimezone(UTC))
    assert on_duty == timedelta(minutes=minutes)


def test_what_a_citizen_is_promised() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert "trực từ 07:30 đến 21:00" in expectation(settings, vn(28, 10))
    assert "từ 07:30 ngày mai" in expectation(settings, vn(28, 22))
    assert "từ 07:30 hôm nay" in expectation(settings, vn(29, 5))


def test_volunteer_settings() -> None:
    settings = Settings(_env_file=None, volunteer_chat_id=" -1001234 ")  # type: ignore[call-arg]
    assert settings.volunteer_desk() == ("telegram", "-1001234")
    other = Settings(_env_file=None, volunteer_chat_id="zalo_bot:g42")  # type: ignore[call-arg]
    assert other.volunteer_desk() == ("zalo_bot", "g42")
    assert Settings(_env_file=None).volunteer_desk() is None  # type: ignore[call-arg]
    for bad in ("7h-21h", "07:30", "25:00-26:00", "08:00-08:00"):
        with pytest.raises(ValidationError):
            Settings(_env_file=None, volunteer_hours=bad)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("mã OTP là 482913", False),
        ("otp 1234 nhập ở đâu", False),
        ("mật khẩu: Lan@2024", False),
        ("quên mật khẩu vneid", True),
        ("mật khẩu là gì", True),
        ("năm 2026 có gì mới", True),
        ("pin điện thoại yếu", True),
    ],
)
def test_codes_and_passwords_are_masked(text: str, kept: bool) -> None:
    assert (redact_personal(text) == text) is kept
    if not kept:
        assert REDACTED_CODE in redact_personal(text)


def test_window_limiter_counts_a_sliding_window() -> None:
    now = [100.0]
    limiter = WindowLimiter(2, 60.0, monotonic=lambda: now[0])
    assert [limiter.try_acquire("g") for _ in range(2)] == [0.0, 0.0]
    assert limiter.try_acquire("g") == pytest.approx(60.0)
    now[0] += 30
    assert limiter.try_acquire("g") == pytest.approx(30.0)
    assert limiter.try_acquire("other") == 0.0
    now[0] += 30.5
    assert limiter.try_acquire("g") == 0.0


def _topic_file(tmp_path: Path) -> Path:
    data_dir = tmp_path / "faq"
    shutil.copytree(default_data_dir(), data_dir)
    return data_dir


def test_a_first_hand_source_is_checked_like_the_others(tmp_path: Path) -> None:
    data_dir = _topic_file(tmp_path)
    approval = drafts.Approval(
        FaqDraft(id=7, ticket_id=3, question="Q", answer="A"),
        "vneid",
        "Ở xã Bình Sơn in ảnh thẻ ở đâu gần ủy ban?",
        "Tiệm ảnh cạnh chợ.\nMất chừng 10 phút.",
        TODAY,
    )
    path = drafts.write_entry(approval, data_dir)
    assert path.name == "vneid.yaml"
    assert "# A volunteer's answer (ticket #3, draft #7)" in path.read_text("utf-8")
    entry = load_knowledge_base(data_dir).get("volunteer-answer-7")
    assert entry is not None and entry.answer == "Tiệm ảnh cạnh chợ.\nMất chừng 10 phút."
    assert entry.sources == () and entry.citations[0].publisher == "tình nguyện viên"
    assert entry.citations[0].checked == TODAY
    # A source without a day, or with stray fields, is a problem for `faq check`.
    raw = yaml.safe_load(path.read_text("utf-8"))
    raw["entries"][-1]["sources"] = [{"by": "tình nguyện viên", "url": "x"}]
    raw["entries"][-1].pop("checked")
    raw["topic"].pop("checked")
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    problems = "\n".join(check_knowledge_base(data_dir, today=TODAY))
    assert "a first-hand source has only 'by' and 'checked'" in problems


def test_an_entry_faq_check_refuses_is_not_written(tmp_path: Path) -> None:
    data_dir = _topic_file(tmp_path)
    before = (data_dir / "vneid.yaml").read_text("utf-8")
    approval = drafts.Approval(
        FaqDraft(id=8, ticket_id=None, question="Q", answer="A"),
        "vneid",
        "Cài VNeID thế nào?",
        "Rất dài. " * 120,
        TODAY,
    )
    with pytest.raises(drafts.ApprovalError, match="too long"):
        drafts.write_entry(approval, data_dir)
    assert (data_dir / "vneid.yaml").read_text("utf-8") == before


def test_the_report_for_organizers() -> None:
    opened = datetime.datetime(2026, 9, 28, 2, tzinfo=UTC)

    def ticket(number: int, **state: object) -> Ticket:
        values: dict[str, object] = {
            "id": number,
            "status": TicketStatus.CLOSED,
            "opened_at": opened,
            "volunteer_id": None,
            "volunteer_name": None,
            "claimed_at": None,
            "first_answer_at": None,
            "outcome": TicketOutcome.CLOSED,
            "rating": None,
        }
        return Ticket(**{**values, **state})

    rows = [
        ticket(1, volunteer_id="11112222", volunteer_name="Lan",
               claimed_at=opened + timedelta(minutes=4),
               first_answer_at=opened + timedelta(minutes=6), rating=TicketRating.HELPFUL),
        ticket(2, volunteer_id="11112222", volunteer_name="Lan",
               claimed_at=opened + timedelta(minutes=8),
               first_answer_at=opened + timedelta(minutes=20)),
        ticket(3, outcome=TicketOutcome.UNCLAIMED),
        ticket(4, status=TicketStatus.WAITING, outcome=None),
    ]  # fmt: skip
    report = "\n".join(stats_lines(rows))
    assert "opened: 4; open now: 1 waiting, 0 with a volunteer" in report
    assert "closed: 2 closed, 1 unclaimed" in report
    assert "waiting until claimed: median 6 min, longest 8 min" in report
    assert "time to the first answer: median 13 min, longest 20 min" in report
    assert "ratings: 1 helpful, 0 not helpful, 2 not rated" in report
    assert "Lan (…2222): 2, 2, 1 / 0" in report


async def test_migration_matches_the_models_and_downgrades(settings: Settings) -> None:
    engine = create_engine(settings.database_url, settings.database_schema)

    def check(connection: Connection) -> None:
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        mine = ("ticket", "faq_draft", "unanswered")
        assert [d for d in diffs if any(name in str(d) for name in mine)] == []
        command.downgrade(config, "0003")
        command.upgrade(config, "head")

    try:
        async with engine.begin() as connection:
            await connection.run_sync(check)
    finally:
        await engine.dispose()
