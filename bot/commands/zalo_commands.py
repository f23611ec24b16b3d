"""`zalo token set` (store the OA's first token pair) and `zalo status` (expiries, quota).

The tokens are read from the terminal without echo, or as two lines on standard input
(access token, then refresh token): never from the command line, where they would stay
in the shell history and show in the process list.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime, timedelta
from typing import Any

from bot.channels.zalo.bot_channel import budget_counter
from bot.channels.zalo.oa_api import DEFAULT_ACCESS_LIFETIME
from bot.channels.zalo.quota import month_of
from bot.channels.zalo.stores import record_of
from bot.channels.zalo.tokens import StoredTokens, TokenGrant, TokenPair
from bot.clock import SystemClock, to_local
from bot.commands.common import database
from bot.config import Settings
from storage import zalo

MAX_TOKEN_CHARS = 4000


def register(subparsers: Any) -> None:
    command = subparsers.add_parser("zalo", help="Zalo OA tokens and the Zalo Bot's quota")
    sub = command.add_subparsers(dest="zalo_command", required=True)
    token = sub.add_parser("token", help="the OA's access and refresh tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True)
    set_token = token_sub.add_parser(
        "set",
        help="store a new token pair (first set-up, or after re-authorizing the app)",
        description="Store the OA access token and refresh token. They are asked for "
        "without echo; or give them as two lines on standard input.",
    )
    set_token.add_argument(
        "--expires-in",
        type=int,
        default=int(DEFAULT_ACCESS_LIFETIME.total_seconds()),
        metavar="SECONDS",
        help="seconds the access token is still valid (default: a fresh one's 90000)",
    )
    set_token.set_defaults(func=_token_set)
    status = sub.add_parser("status", help="token expiries and this month's Zalo Bot messages")
    status.set_defaults(func=_status)


def read_pair() -> tuple[str, str]:
    """The access and refresh tokens from the terminal (no echo) or two stdin lines."""
    if sys.stdin.isatty():
        access = getpass.getpass("OA access token: ")
        refresh = getpass.getpass("OA refresh token: ")
    else:
        lines = sys.stdin.read().split()
        if len(lines) != 2:
            raise ValueError("give two lines on standard input: access token, refresh token")
        access, refresh = lines
    for name, value in (("access", access.strip()), ("refresh", refresh.strip())):
        if not value or len(value) > MAX_TOKEN_CHARS or not value.isprintable() or " " in value:
            raise ValueError(f"the {name} token is empty or not a token")
    return access.strip(), refresh.strip()


async def _token_set(args: argparse.Namespace, settings: Settings) -> int:
    app_id = settings.zalo_oa_app_id
    if not app_id:
        print("ZALO_OA_APP_ID is not set: the pair is stored for that app.", file=sys.stderr)
        return 2
    if args.expires_in <= 0:
        print("--expires-in must be positive", file=sys.stderr)
        return 2
    try:
        access, refresh = read_pair()
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    now = SystemClock().now()
    grant = TokenGrant(access, refresh, timedelta(seconds=args.expires_in))
    pair = TokenPair.from_grant(grant, now)
    # A setup step, like importing the sessions: it may create the database.
    async with database(settings, create=True) as db:
        await zalo.save_tokens(db, app_id, record_of(StoredTokens(pair)), now)
        await db.commit()
    print(
        f"Stored the Zalo OA tokens of app {app_id}: the access token is valid until "
        f"{_local(pair.access_expires_at)}, the refresh token until "
        f"{_local(pair.refresh_expires_at)}. The bot refreshes them from now on."
    )
    return 0


async def _status(args: argparse.Namespace, settings: Settings) -> int:
    now = SystemClock().now()
    async with database(settings) as db:
        record = await zalo.load_tokens(db, settings.zalo_oa_app_id or "")
        token = settings.zalo_bot_token.get_secret_value() if settings.zalo_bot_token else ""
        used = await zalo.sends_used(db, budget_counter(token), month_of(now)) if token else 0
    if not settings.zalo_oa_app_id:
        print("Zalo OA: not configured (ZALO_OA_APP_ID).")
    elif record is None:
        print("Zalo OA: no token stored; run `python -m bot zalo token set`.")
    else:
        state = "expired" if record.access_expires_at <= now else "valid"
        refreshing = record.lease_until is not None and record.lease_until > now
        print(
            f"Zalo OA: access token {state} until {_local(record.access_expires_at)}; "
            f"refresh token until {_local(record.refresh_expires_at)}"
            + ("; a refresh is in progress." if refreshing else ".")
        )
    if token:
        print(
            f"Zalo Bot: {used} of {settings.zalo_bot_monthly_quota} messages used in "
            f"{month_of(now)}."
        )
    else:
        print("Zalo Bot: not configured (ZALO_BOT_TOKEN).")
    return 0


def _local(moment: datetime) -> str:
    return f"{to_local(moment):%Y-%m-%d %H:%M} (Vietnam time)"
