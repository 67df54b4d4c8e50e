"""One settings object, read from the environment (and an optional `.env` file) once."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent.parent


def _read_dotenv(path: Path) -> dict[str, str]:
    """Parse KEY=VALUE lines; the real environment always wins over the file."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@dataclass(frozen=True)
class Settings:
    project_dir: Path = PROJECT_DIR
    environment: str = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    data_dir: Path = PROJECT_DIR / "data"
    model_dir: Path = PROJECT_DIR / "models"
    content_dir: Path = PROJECT_DIR / "content"
    database_url: str = ""
    tracker_database_url: str = ""
    shop_name: str = "Northwind Shop"
    max_message_chars: int = 4000
    conversation_timeout_minutes: int = 60
    # Rasa reads its tracker since the last session start for every message: after this many
    # customer messages (at a quiet point) a new Rasa session starts, slots carried over. A
    # message costs about 1 ms more per message before it in the session: mean CPU per message
    # over messages 40-200 was 37 ms at 10, 44 at 25, 56 at 50, 121 unbounded. At 25 the last
    # messages of a session cost 1.5x the 10th; 15 keeps that near 1.3x and short chats whole.
    tracker_session_messages: int = 15
    # A safety cap only (bot/conversation/store.py `_full`): the product conversation is split after this.
    max_conversation_messages: int = 1000
    action_server_url: str = ""
    log_level: str = "INFO"
    # The languages the shop serves ("fa" alone for a Persian-only shop) and the one for a
    # customer whose first message says nothing by itself.
    languages: tuple[str, ...] = ("en", "fa")
    default_language: str = "en"
    # Shared with the shop's site, which signs its customer ids with it (the widget's identity check).
    widget_identity_secret: str = ""
    # Sites that may embed the widget; "*" lets any page include the script tag.
    widget_allowed_origins: tuple[str, ...] = ("*",)
    # Reverse proxies / load balancers whose X-Forwarded-For names the client (the per-address rate
    # limits and the console's login limits).
    trusted_proxies: tuple[str, ...] = ()

    # Telegram is on when a bot token is set; polling needs no public URL, webhook mode does.
    telegram_bot_token: str = ""
    telegram_mode: str = "polling"  # polling | webhook
    telegram_webhook_url: str = ""
    telegram_webhook_secret: str = ""
    telegram_allow_groups: bool = False
    telegram_api_url: str = "https://api.telegram.org"
    # The staff chat that gets a post with a Claim button for each escalation (0: none).
    telegram_staff_chat_id: int = 0

    # Staff desk. The secret signs CSRF tokens; unset, one is generated into data_dir/secret_key.
    secret_key: str = ""
    # Browsers only send Secure cookies over HTTPS (and to http://localhost / 127.0.0.1).
    desk_cookie_secure: bool = True
    # Plain-HTTP console cookies on a non-loopback address need this said out loud.
    allow_insecure_cookies: bool = False
    desk_session_hours: int = 12
    # Minutes a customer waits in the queue before being told everyone is busy (0: never).
    desk_queue_timeout_minutes: int = 15
    # Failed logins allowed per account and address within desk_login_window_minutes.
    desk_login_attempts: int = 5
    desk_login_window_minutes: int = 15
    # After a crash, customer messages left unanswered within these minutes are answered at
    # start-up; older ones are marked for staff.
    recover_unanswered_minutes: int = 5
    # Several replicas: the Redis they share (locks, pushes, leases, login and message limits);
    # unset, one process.
    redis_url: str = ""
    # Load balancers whose X-Forwarded-For is believed (the console's login limits per address).


def _origins(value: str) -> tuple[str, ...]:
    return tuple(origin.strip().rstrip("/") for origin in value.split(",") if origin.strip())


def _languages(value: str) -> tuple[str, ...]:
    return tuple(code.strip().lower() for code in value.split(",") if code.strip())


def _flag(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from CXBOT_* variables; `.env` in the project only fills gaps."""
    env = dict(_read_dotenv(PROJECT_DIR / ".env"))
    env.update(os.environ if environ is None else environ)

    def get(name: str, default: str) -> str:
        value = env.get(f"CXBOT_{name}", "")
        return value if value != "" else default

    data_dir = Path(get("DATA_DIR", str(PROJECT_DIR / "data"))).resolve()
    return Settings(
        environment=get("ENV", "development"),
        host=get("HOST", "127.0.0.1"),
        port=int(get("PORT", "8000")),
        data_dir=data_dir,
        model_dir=Path(get("MODEL_DIR", str(PROJECT_DIR / "models"))).resolve(),
        content_dir=Path(get("CONTENT_DIR", str(PROJECT_DIR / "content"))).resolve(),
        database_url=get("DATABASE_URL", _sqlite_url(data_dir / "cxbot.db")),
        tracker_database_url=get("TRACKER_DATABASE_URL", _sqlite_url(data_dir / "tracker.db")),
        shop_name=get("SHOP_NAME", "Northwind Shop"),
        max_message_chars=int(get("MAX_MESSAGE_CHARS", "4000")),
        conversation_timeout_minutes=int(get("CONVERSATION_TIMEOUT_MINUTES", "60")),
        tracker_session_messages=int(get("TRACKER_SESSION_MESSAGES", "15")),
        max_conversation_messages=int(get("MAX_CONVERSATION_MESSAGES", "1000")),
        action_server_url=get("ACTION_SERVER_URL", ""),
        log_level=get("LOG_LEVEL", "INFO"),
        languages=_languages(get("LANGUAGES", "en,fa")),
        default_language=get("DEFAULT_LANGUAGE", "en").strip().lower(),
        widget_identity_secret=get("WIDGET_IDENTITY_SECRET", ""),
        widget_allowed_origins=_origins(get("WIDGET_ALLOWED_ORIGINS", "*")),
        trusted_proxies=_origins(get("TRUSTED_PROXIES", "")),
        # BotFather's token is commonly kept in TELEGRAM_BOT_TOKEN; the CXBOT_ name wins if both are set.
        telegram_bot_token=get("TELEGRAM_BOT_TOKEN", env.get("TELEGRAM_BOT_TOKEN", "")).strip(),
        telegram_mode=get("TELEGRAM_MODE", "polling").strip().lower(),
        telegram_webhook_url=get("TELEGRAM_WEBHOOK_URL", ""),
        telegram_webhook_secret=get("TELEGRAM_WEBHOOK_SECRET", ""),
        telegram_allow_groups=_flag(get("TELEGRAM_ALLOW_GROUPS", "false")),
        telegram_api_url=get("TELEGRAM_API_URL", "https://api.telegram.org").rstrip("/"),
        telegram_staff_chat_id=int(get("TELEGRAM_STAFF_CHAT_ID", env.get("TELEGRAM_STAFF_CHAT_ID", "")).strip() or 0),
        secret_key=get("SECRET_KEY", ""),
        desk_cookie_secure=_flag(get("DESK_COOKIE_SECURE", "true")),
        allow_insecure_cookies=_flag(get("ALLOW_INSECURE_COOKIES", "false")),
        desk_session_hours=int(get("DESK_SESSION_HOURS", "12")),
        desk_queue_timeout_minutes=int(get("DESK_QUEUE_TIMEOUT_MINUTES", "15")),
        desk_login_attempts=int(get("DESK_LOGIN_ATTEMPTS", "5")),
        desk_login_window_minutes=int(get("DESK_LOGIN_WINDOW_MINUTES", "15")),
        recover_unanswered_minutes=int(get("RECOVER_UNANSWERED_MINUTES", "5")),
        redis_url=get("REDIS_URL", ""),
    )


def listens_on_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name other than localhost may resolve to any address


def check_cookie_settings(settings: Settings) -> None:
    """Refuse console cookies without Secure where anyone but this machine can reach the server."""
    if settings.desk_cookie_secure or settings.allow_insecure_cookies or listens_on_loopback(settings.host):
        return
    raise ValueError(
        f"CXBOT_DESK_COOKIE_SECURE=false while listening on {settings.host!r}: staff sign-in cookies would "
        "cross the network unencrypted. Serve the console over HTTPS and keep the cookie Secure, listen on "
        "127.0.0.1, or set CXBOT_ALLOW_INSECURE_COOKIES=true to accept the risk on a trusted network."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
