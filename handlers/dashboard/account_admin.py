"""Creating, disabling and assigning dashboard accounts (the CLI and the accounts page)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.dashboard.passwords import hash_password
from storage import audit, dashboard_accounts, help_sessions
from storage.models import DashboardAccount, DashboardRole

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class AccountError(ValueError):
    """A request the accounts cannot follow (the message says why, in English)."""


async def add(
    db: AsyncSession,
    *,
    username: str,
    role: DashboardRole,
    password: str,
    display_name: str,
    actor: str,
    now: datetime,
) -> DashboardAccount:
    """A new account; AccountError for a bad or taken username, WeakPassword for a short one."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise AccountError("a username is 2-64 characters: a-z, 0-9, dot, dash, underscore")
    if await dashboard_accounts.by_username(db, username) is not None:
        raise AccountError(f"the username {username!r} is taken")
    account = await dashboard_accounts.create(
        db,
        username=username,
        role=role,
        password_hash=hash_password(password),
        display_name=display_name.strip()[:100] or username,
        now=now,
    )
    await audit.record(
        db, actor=actor, action="account.add", target=username, now=now, details={"role": role}
    )
    return account


async def _find(db: AsyncSession, username: str) -> DashboardAccount:
    account = await dashboard_accounts.by_username(db, username.strip().lower())
    if account is None:
        raise AccountError(f"no account {username!r}")
    return account


async def set_password(
    db: AsyncSession, username: str, password: str, actor: str, now: datetime
) -> None:
    account = await _find(db, username)
    account.password_hash = hash_password(password)
    account.updated_at = now
    await audit.record(db, actor=actor, action="account.password", target=account.username, now=now)


async def set_disabled(
    db: AsyncSession, username: str, disabled: bool, actor: str, now: datetime
) -> None:
    account = await _find(db, username)
    account.disabled_at = now if disabled else None
    account.updated_at = now
    action = "account.disable" if disabled else "account.enable"
    await audit.record(db, actor=actor, action=action, target=account.username, now=now)


async def assign(
    db: AsyncSession, username: str, session_slug: str, actor: str, now: datetime, *, on: bool
) -> bool:
    """Let a door volunteer check people in at a session (or stop); False if no change."""
    account = await _find(db, username)
    session = await help_sessions.session_by_slug(db, session_slug)
    if session is None:
        raise AccountError(f"no session with id {session_slug!r}")
    if account.role != DashboardRole.DOOR:
        raise AccountError("only door accounts are assigned to sessions (others see all)")
    done = await (dashboard_accounts.assign if on else dashboard_accounts.unassign)(
        db, account.id, session.id
    )
    if done:
        action = "account.assign" if on else "account.unassign"
        await audit.record(
            db, actor=actor, action=action, target=account.username, now=now,
            details={"session": session_slug},
        )  # fmt: skip
    return done
