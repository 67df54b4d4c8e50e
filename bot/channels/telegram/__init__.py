"""The Telegram channel: updates in, formatted messages out."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aiohttp import web

    from bot.app.settings import Settings
    from bot.channels.telegram.channel import TelegramChannel

__all__ = ["TelegramChannel", "setup"]


def setup(app: web.Application, settings: Settings, *args: Any, **kwargs: Any) -> TelegramChannel | None:
    """channel.setup (its parameters are described there), importing python-telegram-bot (0.6 s of
    a cold start) only when a bot token is configured."""
    if not settings.telegram_bot_token:
        return None
    from bot.channels.telegram.channel import setup as setup_channel

    return setup_channel(app, settings, *args, **kwargs)
