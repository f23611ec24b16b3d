"""Dashboard log-in: password hashes, the failure limit, idle timeout, CSRF, roles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.clock import ManualClock
from bot.config import Settings
from bot.context import AppContext
from bot.runtime import running
from bot.webserver import bound_port
from handlers.dashboard.limits import LoginLimiter
from handlers.dashboard.passwords import WeakPassword, hash_password, verify_password
from handlers.dashboard.web import web_part
from storage import audit
from tests.browser_support import upcoming
from tests.conftest import START
from tests.dashboard_support import (
    DASHBOARD,
    PASSWORD,
    add_accounts,
    csrf_in,
    dashboard_app,
    log_in,
)
from tests.signup_support import add_sessions


def test_password_hash_is_argon2_and_verifies() -> None:
    stored = hash_password(PASSWORD)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "x")
    assert not verify_password(None, PASSWORD)  # no such account
    assert not verify_password("not a hash", PASSWORD)
    with pytest.raises(WeakPassword):
        hash_password("ngắn")


def test_login_limit_per_account_and_per_client() -> None:
    clock = ManualClock(START)
    limiter = LoginLimiter(clock, per_account=3, per_client=5)
    for _ in range(3):
        assert limiter.allowed("lan", "10.0.0.1")
        limiter.failed("lan", "10.0.0.1")
    assert not limiter.allowed("LAN", "10.0.0.2")  # the account, from anywhere
    assert limiter.allowed("binh", "10.0.0.1")
    limiter.failed("binh", "10.0.0.1")
    limiter.failed("an", "10.0.0.1")
    assert not limiter.allowed("other", "10.0.0.1")  # the client, whatever the account
    clock.advance(timedelta(minutes=15, seconds=1))
    assert limiter.allowed("lan", "10.0.0.1")
    limiter.failed("lan", "10.0.0.3")
    limiter.succeeded("lan")
    assert limiter.allowed("lan", "10.0.0.3")


def test_no_key_no_dashboard(app: AppContext, caplog: pytest.LogCaptureFixture) -> None:
    assert web_part(app) is None
    assert "DASHBOARD_SECRET_KEY" in caplog.text
    app.settings = app.settings.model_copy(update={"dashboard_secret_key": SecretStr("not a key")})
    assert web_part(app) is None


@pytest.fixture
async def client(app: AppContext) -> AsyncIterator[TestClient]:
    outer = dashboard_app(app)
    await add_accounts(app)
    async with TestClient(TestServer(outer)) as found:
        yield found


async def test_nothing_without_login(client: TestClient) -> None:
    for path in ("/dashboard/", "/dashboard/overview", "/dashboard/accounts", "/dashboard/audit"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 302 and response.headers["Location"].endswith("/login"), path
    refused = await client.post("/dashboard/accounts", data={"username": "x"})
    assert refused.status == 403


async def test_wrong_password_and_missing_csrf_are_refused(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await log_in(client, "quantri", "sai mật khẩu rồi")).status == 401
    assert (await log_in(client, "khongco", PASSWORD)).status == 401
    page = await client.get("/dashboard/login")
    csrf_in(await page.text())
    forged = await client.post(
        "/dashboard/login", data={"username": "quantri", "password": PASSWORD}
    )
    assert forged.status == 403
    assert PASSWORD not in caplog.text
    ok = await log_in(client, "quantri")
    assert ok.status == 302 and ok.headers["Location"].endswith("/overview")
    assert ok.cookies["cds_dashboard"].value not in caplog.text


async def test_too_many_failures_lock_the_account_for_a_while(
    client: TestClient, app: AppContext, clock: ManualClock
) -> None:
    for _ in range(app.settings.dashboard_login_failures_per_account):
        assert (await log_in(client, "bantochuc", "sai mật khẩu rồi")).status == 401
    assert (await log_in(client, "bantochuc")).status == 429  # even the right password
    clock.advance(timedelta(minutes=16))
    assert (await log_in(client, "bantochuc")).status == 302


async def test_roles_and_forbidden_pages(client: TestClient) -> None:
    assert (await log_in(client, "cuavao")).headers["Location"].endswith("/checkin")
    for path in ("/dashboard/overview", "/dashboard/accounts", "/dashboard/audit"):
        assert (await client.get(path)).status == 403, path
    await client.post(
        "/dashboard/logout",
        data={"csrf": csrf_in(await (await client.get("/dashboard/login")).text())},
    )
    assert (await log_in(client, "bantochuc")).status == 302
    assert (await client.get("/dashboard/overview")).status == 200
    assert (await client.get("/dashboard/accounts")).status == 403
    overview = await (await client.get("/dashboard/overview")).text()
    assert "Tài khoản" not in overview and "Tổng quan" in overview


async def test_idle_timeout_and_logout(client: TestClient, clock: ManualClock) -> None:
    assert (await log_in(client, "quantri")).status == 302
    assert (await client.get("/dashboard/overview")).status == 200
    clock.advance(timedelta(minutes=29))
    assert (await client.get("/dashboard/overview")).status == 200  # each request renews it
    clock.advance(timedelta(minutes=31))
    gone = await client.get("/dashboard/overview", allow_redirects=False)
    assert gone.status == 302 and gone.headers["Location"].endswith("/login?expired=1")
    assert (await log_in(client, "quantri")).status == 302
    page = await (await client.get("/dashboard/overview")).text()
    await client.post("/dashboard/logout", data={"csrf": csrf_in(page)})
    assert (await client.get("/dashboard/overview", allow_redirects=False)).status == 302


async def test_admin_creates_and_disables_accounts(client: TestClient, app: AppContext) -> None:
    assert (await log_in(client, "quantri")).status == 302
    token = csrf_in(await (await client.get("/dashboard/accounts")).text())
    made = await client.post(
        "/dashboard/accounts",
        data={"csrf": token, "username": "lan.tnv", "role": "door", "password": PASSWORD},
    )
    assert made.status == 200 and "lan.tnv" in await made.text()
    await add_sessions(app, upcoming("binh-son", "Xã Bình Sơn", days=3))
    given = {"csrf": token, "session": "binh-son"}
    assert (
        "Bỏ gán"
        in await (await client.post("/dashboard/accounts/lan.tnv/assign", data=given)).text()
    )
    taken = await client.post("/dashboard/accounts/lan.tnv/assign", data={**given, "on": "0"})
    assert "Bỏ gán" not in await taken.text()
    await client.post("/dashboard/accounts/lan.tnv/disable", data={"csrf": token})
    other = TestClient(TestServer(dashboard_app(app)))
    async with other:
        assert (await log_in(other, "lan.tnv")).status == 401
    async with app.open_db() as db:
        actions = [e.action for e in await audit.recent(db)]
    assert {"login", "account.add", "account.disable"} <= set(actions)


async def _status(url: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False) as response:
        return response.status


async def test_served_on_its_own_address_or_switched_off(tmp_path: Path) -> None:
    base = {"_env_file": None, "database_url": f"sqlite+aiosqlite:///{tmp_path}/bot.db",
            "web_port": 0, **DASHBOARD}  # fmt: skip
    alone = Settings(**base, dashboard_host="127.0.0.1", dashboard_port=0)  # type: ignore[arg-type]
    async with running(alone) as runtime:
        [runner] = runtime.feature_runners
        own = f"http://127.0.0.1:{bound_port(runner)}/dashboard/login"
        assert await _status(own) == 200
        assert await _status(f"http://127.0.0.1:{runtime.web_port}/dashboard/login") == 404
    shared = Settings(**base)  # type: ignore[arg-type]
    async with running(shared) as runtime:
        assert runtime.feature_runners == []
        assert await _status(f"http://127.0.0.1:{runtime.web_port}/dashboard/login") == 200
    off = Settings(**base, dashboard_enabled=False)  # type: ignore[arg-type]
    async with running(off) as runtime:
        assert await _status(f"http://127.0.0.1:{runtime.web_port}/dashboard/login") == 404
        assert await _status(f"http://127.0.0.1:{runtime.web_port}/healthz") == 200


async def test_other_requests_before_log_in_keep_the_forms_token(client: TestClient) -> None:
    token = csrf_in(await (await client.get("/dashboard/login")).text())
    for path in (
        "/dashboard/no-such-page",
        "/dashboard/overview",
        "/dashboard/static/dashboard.js",
    ):
        await client.get(path, allow_redirects=False)
    form = {"csrf": token, "username": "quantri", "password": PASSWORD}
    assert (await client.post("/dashboard/login", data=form, allow_redirects=False)).status == 302
