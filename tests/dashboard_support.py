"""Helpers of the dashboard tests: settings with a key, accounts, logging in over HTTP."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from cryptography.fernet import Fernet
from pydantic import SecretStr

from bot.context import AppContext
from handlers.dashboard import account_admin
from handlers.dashboard.web import web_part
from storage.models import DashboardRole

KEY = Fernet.generate_key().decode()
DASHBOARD = {"dashboard_secret_key": SecretStr(KEY), "dashboard_secure_cookie": False}
PASSWORD = "mật khẩu đủ dài 123"
ACCOUNTS = {"quantri": DashboardRole.ADMIN, "bantochuc": DashboardRole.ORGANIZER,
            "cuavao": DashboardRole.DOOR}  # fmt: skip


async def add_accounts(app: AppContext) -> None:
    """One account of each role, all with PASSWORD."""
    async with app.transaction() as db:
        for username, role in ACCOUNTS.items():
            await account_admin.add(
                db, username=username, role=role, password=PASSWORD,
                display_name=username.title(), actor="test", now=app.clock.now(),
            )  # fmt: skip


def dashboard_app(app: AppContext) -> web.Application:
    """The dashboard mounted as the shared server mounts it."""
    app.settings = app.settings.model_copy(update=DASHBOARD)
    part = web_part(app)
    assert part is not None
    outer = web.Application()
    outer.add_subapp(part.prefix, part.app)
    return outer


def csrf_in(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


async def log_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    """The log-in page, then the form with its token; the POST's response (not followed)."""
    page = await client.get("/dashboard/login")
    token = csrf_in(await page.text())
    return await client.post(
        "/dashboard/login",
        data={"csrf": token, "username": username, "password": password},
        allow_redirects=False,
    )
