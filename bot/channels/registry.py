"""Which channel adapters run, from the settings: the one place a new channel is added.

The web chat always runs (it needs no account); the others (Telegram, Zalo OA, Zalo Bot)
run beside it when their settings are filled. A channel that receives over HTTP (webhooks,
the web chat) has `mount(web_app)`, added to the shared web server.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.channels.base import Channel
from bot.channels.telegram import TelegramChannel, TelegramTuning
from bot.channels.web import WebChatChannel
from bot.channels.zalo.bot_channel import ZaloBotChannel
from bot.channels.zalo.channel import ZaloTuning
from bot.channels.zalo.oa_channel import ZaloOaChannel
from bot.context import AppContext
from bot.dispatcher import Dispatcher
from bot.webserver import Mount


@dataclass(frozen=True)
class ChannelTuning:
    """Per-channel timeouts and retries; tests shrink them."""

    telegram: TelegramTuning | None = None
    zalo: ZaloTuning | None = None


def build_channels(
    app: AppContext, dispatcher: Dispatcher, tuning: ChannelTuning | None = None
) -> tuple[list[Channel], list[Mount]]:
    """The channels this deployment serves, and the routes they add to the web server."""
    tuning = tuning or ChannelTuning()
    settings = app.settings
    web_chat = WebChatChannel(app, dispatcher)
    channels: list[Channel] = [web_chat]
    mounts: list[Mount] = [web_chat.mount]
    token = settings.telegram_bot_token
    if token is not None and token.get_secret_value():
        telegram = TelegramChannel(app, dispatcher, tuning.telegram)
        channels.append(telegram)
        if telegram.webhook_url:
            # Served by the shared web server, stopped before the channel (no new updates).
            mounts.append(telegram.mount)
    if settings.zalo_oa_configured():
        oa = ZaloOaChannel(app, dispatcher, tuning.zalo)
        channels.append(oa)
        mounts.append(oa.mount)  # the OA has no polling: its webhook always runs
    zalo_token = settings.zalo_bot_token
    if zalo_token is not None and zalo_token.get_secret_value():
        zalo_bot = ZaloBotChannel(app, dispatcher, tuning.zalo)
        channels.append(zalo_bot)
        if zalo_bot.webhook_url:
            mounts.append(zalo_bot.mount)
    return channels, mounts
