"""`python -m bot run`: a busy port is a clear message and a non-zero exit, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.webserver import bind

ROOT = Path(__file__).resolve().parent.parent


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WEB_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/bot.db"
    return subprocess.run(
        [sys.executable, "-m", "bot", "run", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_busy_port_says_how_to_choose_another(tmp_path: Path) -> None:
    taken = bind("127.0.0.1", 0)
    port = taken.getsockname()[1]
    try:
        done = _run(tmp_path, "--port", str(port))
    finally:
        taken.close()
    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "--port 8081" in done.stderr and "WEB_PORT" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_a_port_must_be_a_number(tmp_path: Path) -> None:
    done = _run(tmp_path, "--port", "80a")
    assert done.returncode == 2 and "is not a port number" in done.stderr
