"""`accounts add|list|disable|enable|set-password|assign|unassign` for the dashboard.

Passwords are read without echo (or one line from standard input when it is not a
terminal, for scripts); they are never a command-line argument, so no shell history or
process list ever shows one.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from bot.clock import SystemClock, format_local
from bot.commands.common import database
from bot.config import Settings
from handlers.dashboard import account_admin
from handlers.dashboard.passwords import WeakPassword
from storage import dashboard_accounts, help_sessions
from storage.models import DashboardRole

ACTOR = "cli"


def register(subparsers: Any) -> None:
    command = subparsers.add_parser("accounts", help="organizer dashboard accounts")
    sub = command.add_subparsers(dest="accounts_command", required=True)
    add = sub.add_parser("add", help="create an account (asks for the password)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=[r.value for r in DashboardRole])
    add.add_argument("--name", default="", help="the name shown on the dashboard")
    add.set_defaults(func=_add)
    listing = sub.add_parser("list", help="accounts, their roles and assigned sessions")
    listing.set_defaults(func=_list)
    for verb, text in (("disable", "stop an account logging in"), ("enable", "allow it again")):
        item = sub.add_parser(verb, help=text)
        item.add_argument("username")
        item.set_defaults(func=_set_disabled, disabled=verb == "disable")
    password = sub.add_parser("set-password", help="set a new password (asks for it)")
    password.add_argument("username")
    password.set_defaults(func=_set_password)
    for verb in ("assign", "unassign"):
        item = sub.add_parser(verb, help=f"{verb} a door account to a session (by session id)")
        item.add_argument("username")
        item.add_argument("session", help="the session id, as in `sessions list`")
        item.set_defaults(func=_assign if verb == "assign" else _unassign)


def read_password() -> str:
    """Twice without echo at a terminal; one line from stdin otherwise."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password (at least 10 characters): ")
    if getpass.getpass("Once more: ") != first:
        raise account_admin.AccountError("the two passwords differ")
    return first


async def _add(args: argparse.Namespace, settings: Settings) -> int:
    try:
        password = read_password()
        async with database(settings, create=True) as db:
            await account_admin.add(
                db,
                username=args.username,
                role=DashboardRole(args.role),
                password=password,
                display_name=args.name,
                actor=ACTOR,
                now=SystemClock().now(),
            )
            await db.commit()
    except (account_admin.AccountError, WeakPassword) as error:
        print(error, file=sys.stderr)
        return 1
    print(f"account {args.username.lower()} ({args.role}) created")
    return 0


async def _list(args: argparse.Namespace, settings: Settings) -> int:
    async with database(settings) as db:
        accounts = await dashboard_accounts.listing(db)
        slugs = {s.session.id: s.session.slug for s in await help_sessions.all_sessions(db)}
        if not accounts:
            print("no accounts; create one with: python -m bot accounts add NAME --role admin")
        for account in accounts:
            state = f"disabled {format_local(account.disabled_at)}" if account.disabled_at else ""
            assigned = await dashboard_accounts.assigned_sessions(db, account.id)
            where = ", ".join(sorted(slugs.get(i, "?") for i in assigned))
            print(f"{account.username:<20} {account.role:<10} {where:<30} {state}".rstrip())
    return 0


async def _change(settings: Settings, action: Any, *values: Any) -> int:
    try:
        async with database(settings) as db:
            result = await action(db, *values)
            await db.commit()
    except (account_admin.AccountError, WeakPassword) as error:
        print(error, file=sys.stderr)
        return 1
    del result
    return 0


async def _set_disabled(args: argparse.Namespace, settings: Settings) -> int:
    """`accounts disable` and `accounts enable`."""
    now = SystemClock().now()
    disabled = bool(args.disabled)
    code = await _change(settings, account_admin.set_disabled, args.username, disabled, ACTOR, now)
    if code == 0:
        print(f"account {args.username} {'disabled' if disabled else 'enabled'}")
    return code


async def _set_password(args: argparse.Namespace, settings: Settings) -> int:
    try:
        password = read_password()
    except account_admin.AccountError as error:
        print(error, file=sys.stderr)
        return 1
    now = SystemClock().now()
    code = await _change(settings, account_admin.set_password, args.username, password, ACTOR, now)
    if code == 0:
        print(f"password of {args.username} changed")
    return code


async def _assign(args: argparse.Namespace, settings: Settings) -> int:
    return await _assignment(args, settings, on=True)


async def _unassign(args: argparse.Namespace, settings: Settings) -> int:
    return await _assignment(args, settings, on=False)


async def _assignment(args: argparse.Namespace, settings: Settings, *, on: bool) -> int:
    try:
        async with database(settings) as db:
            await account_admin.assign(
                db, args.username, args.session, ACTOR, SystemClock().now(), on=on
            )
            await db.commit()
    except account_admin.AccountError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"{args.username} {'assigned to' if on else 'no longer at'} {args.session}")
    return 0
