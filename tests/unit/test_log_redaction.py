"""Secrets are removed from the finished log line: message, arguments and traceback."""

from __future__ import annotations

import io
import logging

from bot.app.redact import REDACTED, redact_handlers

TOKEN = "987654321:AAH-secret_token-value"


def test_the_token_is_redacted_in_messages_arguments_and_tracebacks():
    stream = io.StringIO()
    logger = logging.getLogger("test.redaction")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        redact_handlers(logger, [TOKEN, "webhook-secret"])
        redact_handlers(logger, [TOKEN])  # twice is harmless
        logger.debug("POST https://api.telegram.org/bot%s/getUpdates", TOKEN)
        logger.info("secret header %s", "webhook-secret")
        logger.info("another bot's token 12345678:abcdefghijklmnop")
        try:
            raise RuntimeError(f"failed: /bot{TOKEN}/sendMessage")
        except RuntimeError:
            logger.exception("send failed")
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "AAH-secret" not in text and "webhook-secret" not in text and "abcdefghijklmnop" not in text
    assert text.count(REDACTED) == 4
    assert "RuntimeError: failed: /bot<redacted>/sendMessage" in text
