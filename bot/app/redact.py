"""Secrets out of the logs: every line the process writes passes through `RedactingFormatter`.

The Telegram Bot API puts the bot token in every URL (`/bot<token>/getUpdates`), and httpx,
httpcore, python-telegram-bot and exception texts all repeat URLs. Redacting the finished line
(message, arguments, traceback and stack together) catches every logger at every level, including
libraries we do not control.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

REDACTED = "<redacted>"
# A Bot API token as it appears in URLs and errors: "<bot id>:<35 or so url-safe characters>".
_BOT_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{8,}")


class RedactingFormatter(logging.Formatter):
    """Formats as `inner` does, then replaces every secret (and anything shaped like a bot token)."""

    def __init__(self, inner: logging.Formatter | None, secrets: Iterable[str]) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record), self.secrets)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return _BOT_TOKEN.sub(REDACTED, text)


def redact_handlers(logger: logging.Logger, secrets: Iterable[str]) -> None:
    """Wrap the formatter of each of `logger`'s handlers (once); call after handlers are set up."""
    secrets = list(secrets)
    for handler in logger.handlers:
        current = handler.formatter
        if isinstance(current, RedactingFormatter):
            current.secrets = sorted(set(current.secrets) | {s for s in secrets if s}, key=len, reverse=True)
        else:
            handler.setFormatter(RedactingFormatter(current, secrets))
