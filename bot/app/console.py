"""What the person at the terminal sees: libraries quiet at the default log level, and a prompt exit."""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING

from bot.app.redact import redact_handlers

if TYPE_CHECKING:
    from bot.app.settings import Settings

# Libraries that talk at INFO on every start (alembic lists its plugins, rasa_sdk each action):
# at the default level the console shows only what a person needs.
QUIET_LOGGERS = (
    "rasa",
    "rasa_sdk",
    "tensorflow",
    "absl",
    "matplotlib",
    "apscheduler",
    "sqlalchemy",
    "alembic",
    "aiohttp.access",
)
# They log every request URL at INFO (and httpcore its details at DEBUG); Bot API URLs hold the
# token. The redacting formatter removes it anyway; this keeps a day's polling out of the log.
HTTP_LOGGERS = ("httpx", "httpcore")


def quiet_environment() -> None:
    """Switches the libraries read when first imported, so before anything imports them."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # SQLAlchemy's own switch for its one "2.0 migration" notice, raised while Rasa is imported
    # (before a warning filter installed after that import could apply).
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in QUIET_LOGGERS + HTTP_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    secrets = [settings.telegram_bot_token, settings.telegram_webhook_secret, settings.secret_key]
    redact_handlers(logging.getLogger(), secrets)
    from bot.assistant.library_noise import silence_known_warnings

    silence_known_warnings()
    # Rasa's structured logs print parsed message text at DEBUG to stdout unless configured.
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(max(logging.WARNING, logging.getLevelName(settings.log_level.upper())))


def exit_now() -> None:
    """Leave at once after the server stopped: its shutdown hooks closed everything of ours, and a
    normal interpreter exit would take seconds more (TensorFlow's teardown, a model still loading
    in its worker thread)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


PAGES = (
    ("Shop page with the chat widget", "/"),
    ("The same in Persian (right to left)", "/fa"),
    ("Staff desk", "/desk"),
    ("Manager dashboard", "/dashboard"),
    ("Health", "/health"),
)
FIRST_ADMIN_HINT = (
    "No staff admin yet: create one with `cxbot user add admin --name <first name> --role admin`, "
    "then sign in at /desk."
)


def ready_block(settings: Settings, seconds: float | None, *, needs_admin: bool) -> str:
    """What a person reads once the assistant is loaded: the addresses to open."""
    host = "127.0.0.1" if settings.host in ("", "0.0.0.0", "::") else settings.host
    base = f"http://{host}:{settings.port}"
    lines = [f"Ready in {seconds or 0:.1f} s. Open:"]
    lines += [f"  {name:<32}{base}{path}" for name, path in PAGES]
    if needs_admin:
        lines.append(FIRST_ADMIN_HINT)
    lines.append("Ctrl-C stops the server.")
    return "\n".join(lines)
