"""The command-line contract: ask, ask --json, faq check, db upgrade, chat."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args: str, stdin: str = "", tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def test_ask_prints_the_citizen_reply(tmp_path: Path) -> None:
    result = run_cli("ask", "quên mật khẩu VNeID thì làm sao", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "VNeID" in result.stdout
    assert "Nguồn:" in result.stdout or "1." in result.stdout


def test_ask_json_one_line_per_question_in_order(tmp_path: Path) -> None:
    questions = ["dang ky dinh danh muc 2 o dau", "xin chào", "giá vàng hôm nay", "", "🙂"]
    result = run_cli("ask", "--json", stdin="\n".join(questions) + "\n", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["question"] for line in lines] == questions
    keys = {"question", "action", "faq_id", "score", "answer", "suggestions"}
    assert all(set(line) == keys for line in lines)
    assert all(line["action"] in {"answer", "suggest", "fallback", "smalltalk"} for line in lines)
    assert lines[1]["action"] == "smalltalk"
    assert lines[2]["action"] == "fallback"
    first = lines[0]
    assert first["action"] in {"answer", "suggest"}
    for suggestion in first["suggestions"]:
        assert set(suggestion) == {"faq_id", "question", "answer", "score"}


def test_faq_check_passes_on_the_shipped_knowledge_base(tmp_path: Path) -> None:
    result = run_cli("faq", "check", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok:")


def test_faq_check_reports_a_broken_knowledge_base(tmp_path: Path) -> None:
    broken = tmp_path / "kb"
    broken.mkdir()
    (broken / "x.yaml").write_text(
        "topic: {id: x, title: X}\nentries:\n  - id: a\n    questions: [q]\n    answer: ''\n",
        encoding="utf-8",
    )
    env_path = tmp_path / "cli.db"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "faq", "check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
        env={
            **os.environ,
            "FAQ_DATA_DIR": str(broken),
            "DATABASE_URL": f"sqlite+aiosqlite:///{env_path}",
        },
    )
    assert result.returncode == 1
    assert "problem" in result.stderr


def test_db_upgrade_and_unanswered_report(tmp_path: Path) -> None:
    result = run_cli("db", "upgrade", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "revision" in result.stdout
    assert (tmp_path / "cli.db").exists()
    report = run_cli("faq", "unanswered", tmp_path=tmp_path)
    assert report.returncode == 0 and "no unanswered" in report.stdout


def test_console_chat_numbered_buttons(tmp_path: Path) -> None:
    result = run_cli("chat", stdin="2\n/quit\n", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "  1. ❓ Đặt câu hỏi" in result.stdout
    assert "chủ đề nào" in result.stdout  # "2" pressed the topics button
    assert "Tạm biệt" in result.stdout


def test_unanswered_report_groups_similar_questions(tmp_path: Path) -> None:
    import asyncio

    from bot.clock import SystemClock
    from storage import unanswered
    from storage.db import create_engine, create_session_maker, upgrade_schema

    async def seed() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/cli.db")
        await upgrade_schema(engine)
        now = SystemClock().now()
        async with create_session_maker(engine)() as db, db.begin():
            for text in ["giá vàng hôm nay", "gia vang hom nay", "giá vàng hôm nay?", "xổ số"]:
                await unanswered.record(
                    db,
                    channel="web",
                    text=text,
                    best_faq_id=None,
                    best_score=10,
                    action="fallback",
                    now=now,
                )
        await engine.dispose()

    asyncio.run(seed())
    result = run_cli("faq", "unanswered", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "4 question(s) in 2 group(s)" in result.stdout
    first_group = result.stdout.split("\n")[2]
    assert first_group.strip().startswith("3 ×")


def test_an_organizer_command_never_creates_an_empty_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run from the wrong folder, a report must not answer "0 sign-ups" from a new file."""
    missing = tmp_path / "nowhere" / "bot.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{missing}")
    assert main(["sessions", "list"]) == 1
    assert "no database at" in capsys.readouterr().err
    assert not missing.exists()


def test_the_default_database_is_next_to_the_project_not_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.config import PROJECT_ROOT, Settings

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url.endswith(f"{PROJECT_ROOT}/data/bot.db")
