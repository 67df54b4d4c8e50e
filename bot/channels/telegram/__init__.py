"""The Telegram channel: updates in, formatted messages out."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aiohttp import web

    from bot.app.settings import Settings
    from bot.channels.base import ChannelRegistry
    from bot.channels.limits import Guard
    from bot.channels.telegram.channel import DeepLinks, TelegramChannel
    from bot.channels.telegram.commands import MenuCommands
    from bot.channels.telegram.replies import ChannelReplies

__all__ = ["TelegramChannel", "setup"]


def setup(
    app: web.Application,
    settings: Settings,
    channels: ChannelRegistry,
    commands: MenuCommands | None = None,
    guard: Guard | None = None,
    deep_links: DeepLinks | None = None,
    replies: ChannelReplies | None = None,
) -> TelegramChannel | None:
    """channel.setup, importing python-telegram-bot (0.6 s of a cold start) only when a bot token
    is configured."""
    if not settings.telegram_bot_token:
        return None
    from bot.channels.telegram.channel import setup as setup_channel

    return setup_channel(app, settings, channels, commands, guard, deep_links, replies)
