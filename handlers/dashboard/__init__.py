"""The organizers' dashboard: pages in the browser, inside the bot's own web server.

Accounts and roles (account_admin.py, cli.py: `python -m bot accounts ...`), log-in and the
guard in front of every page (auth.py), the pages (views/), and the figures they show
(figures.py), which come from the same storage functions as the organizer commands.
"""

from __future__ import annotations

from bot.features import Feature
from bot.routing import Router
from handlers.dashboard import cli
from handlers.dashboard.web import web_part


def register(router: Router) -> None:
    """No chat routes: the dashboard is only web pages."""


feature = Feature(name="dashboard", register=register, cli=(cli.register,), web=web_part)
