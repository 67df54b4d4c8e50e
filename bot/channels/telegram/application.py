"""The python-telegram-bot application for the channel, and the settings it cannot work without."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from telegram.ext import Application, ApplicationBuilder, BaseUpdateProcessor

if TYPE_CHECKING:
    from bot.app.settings import Settings

# Telegram's rule for secret tokens: 1-256 characters A-Z, a-z, 0-9, _ and -.
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")


def check_settings(settings: Settings) -> None:
    """Refuse to start with a Telegram setup that cannot work; the message says what to fix."""
    if settings.telegram_mode not in ("polling", "webhook"):
        raise ValueError(f"CXBOT_TELEGRAM_MODE must be polling or webhook, not {settings.telegram_mode!r}")
    if settings.telegram_mode == "webhook":
        if not settings.telegram_webhook_url.startswith(("https://", "http://")):
            raise ValueError(
                "webhook mode needs CXBOT_TELEGRAM_WEBHOOK_URL (the public URL of /webhooks/telegram/webhook)"
            )
        if not SECRET_PATTERN.fullmatch(settings.telegram_webhook_secret):
            raise ValueError("webhook mode needs CXBOT_TELEGRAM_WEBHOOK_SECRET: 1-256 of A-Z a-z 0-9 _ -")


def build_application(settings: Settings, processor: BaseUpdateProcessor) -> Application:
    api = settings.telegram_api_url
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .concurrent_updates(processor)
        .job_queue(None)  # nothing is scheduled; Rasa's APScheduler must not be started twice
    )
    if settings.telegram_mode == "webhook":
        builder = builder.updater(None)  # our aiohttp route receives the updates
    return builder.build()
