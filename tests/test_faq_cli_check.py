"""`python -m bot faq check`: feature names, future dates, and the --stale listing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TOPIC = """\
topic: {id: t, title: T, checked: 2026-02-01}
entries:
  - id: old-one
    questions: [Câu cũ]
    answer: Trả lời.
    sources: [https://snv.quangngai.gov.vn/a]
  - id: new-one
    questions: [Câu mới]
    answer: Trả lời.
    sources: [https://snv.quangngai.gov.vn/b]
    checked: 2026-11-20
"""


def check(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "FAQ_DATA_DIR": str(tmp_path / "kb"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/cli.db",
        "LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", "faq", "check", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def test_stale_lists_entries_due_for_another_look(tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "t.yaml").write_text(TOPIC, encoding="utf-8")
    result = check(tmp_path, "--today", "2026-12-01", "--stale", "6")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "ok: 2 entries in 1 topics"
    assert lines[1] == "1 entry last checked more than 6 month(s) before 2026-12-01:"
    assert lines[2:] == ["  2026-02-01  old-one  (Sở Nội vụ tỉnh Quảng Ngãi)"]


def test_future_dates_and_unknown_features_fail(tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    text = TOPIC.replace(
        "    sources: [https://snv.quangngai.gov.vn/a]\n",
        "    sources: [https://snv.quangngai.gov.vn/a]\n    feature: zalo\n",
    )
    (tmp_path / "kb" / "t.yaml").write_text(text, encoding="utf-8")
    result = check(tmp_path, "--today", "2026-11-01")
    assert result.returncode == 1
    assert "entry 'new-one': check date 2026-11-20 is in the future" in result.stdout
    assert "unknown feature 'zalo'" in result.stdout
    allowed = check(tmp_path, "--today", "2026-12-01", "--features", "signup,zalo")
    assert allowed.returncode == 0, allowed.stdout
