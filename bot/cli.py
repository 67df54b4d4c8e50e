"""The `cxbot` command line: run the server, chat in the terminal, train, migrate."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from dataclasses import replace

from bot.settings import Settings, get_settings

QUIET_LOGGERS = ("rasa", "tensorflow", "absl", "matplotlib", "apscheduler", "sqlalchemy", "aiohttp.access")


def _configure_logging(settings: Settings) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # Rasa's structured logs print parsed message text at DEBUG to stdout unless configured.
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(max(logging.WARNING, logging.getLevelName(settings.log_level.upper())))


def _model(settings: Settings, train_if_needed: bool):
    from bot.training import current_model, train

    model = current_model(settings)
    if model is None:
        if not train_if_needed:
            sys.exit("cxbot: no model matches the current training data; run `cxbot train` first")
        model = train(settings)
    return model


def cmd_run(args: argparse.Namespace, settings: Settings) -> None:
    from bot import server

    settings = replace(settings, host=args.host or settings.host, port=args.port or settings.port)
    server.run(settings, _model(settings, train_if_needed=not args.no_train))


def cmd_train(args: argparse.Namespace, settings: Settings) -> None:
    from bot.training import train

    print(train(settings, force=args.force))


def cmd_db_upgrade(_args: argparse.Namespace, settings: Settings) -> None:
    from bot.storage.database import migrate

    migrate(settings.database_url)
    print("database is at the newest revision")


def cmd_chat(args: argparse.Namespace, settings: Settings) -> None:
    from bot.terminal import chat

    model = _model(settings, train_if_needed=True)
    asyncio.run(chat(settings, model, sender=args.sender))


def cmd_report(args: argparse.Namespace, settings: Settings) -> None:
    from datetime import datetime, timedelta, timezone

    from bot.storage.database import get_session_factory, migrate
    from feedback.reports import build_report, render

    def moment(text: str | None, default: datetime) -> datetime:
        if not text:
            return default
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            sys.exit(f"cxbot report: {text!r} is not a date (use YYYY-MM-DD or an ISO time)")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)

    now = datetime.now(timezone.utc)
    until = moment(args.until, now)
    since = moment(args.since, until - timedelta(days=30))
    migrate(settings.database_url)
    with get_session_factory(settings.database_url)() as session:
        print(render(build_report(session, since=since, until=until), args.format))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cxbot",
        description="Customer-experience chatbot: FAQ answers, sentiment and feedback, on a trained Rasa assistant.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="start the server (REST channel, health)",
                              description="Train if the data changed, then serve on CXBOT_HOST:CXBOT_PORT.")
    run.add_argument("--host", help="interface to listen on (default CXBOT_HOST or 127.0.0.1)")
    run.add_argument("--port", type=int, help="port (default CXBOT_PORT or 8000)")
    run.add_argument("--no-train", action="store_true", help="fail instead of training when no model fits")
    run.set_defaults(handler=cmd_run)

    chat = commands.add_parser("chat", help="talk to the assistant in this terminal",
                               description="A terminal chat through the same router, storage and model.")
    chat.add_argument("--sender", default=None, help="customer id to chat as (default: your user name)")
    chat.set_defaults(handler=cmd_chat)

    train = commands.add_parser("train", help="train the assistant if its data changed",
                                description="Train from config.yml, domain/, nlu/ and stories/.")
    train.add_argument("--force", action="store_true", help="train even if an up-to-date model exists")
    train.set_defaults(handler=cmd_train)

    report = commands.add_parser("report", help="NPS, CES, CSAT, sentiment, escalations, compensation",
                                 description="Survey scores and service numbers for a period, with formulas.")
    report.add_argument("--since", help="start, inclusive (YYYY-MM-DD; default 30 days before --until)")
    report.add_argument("--until", help="end, exclusive (YYYY-MM-DD; default now)")
    report.add_argument("--format", choices=("table", "json", "csv"), default="table")
    report.set_defaults(handler=cmd_report)

    db = commands.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    upgrade = db_commands.add_parser("upgrade", help="apply migrations (alembic upgrade head)",
                                     description="Apply all Alembic migrations to CXBOT_DATABASE_URL.")
    upgrade.set_defaults(handler=cmd_db_upgrade)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    settings = get_settings()
    _configure_logging(settings)
    args.handler(args, settings)


if __name__ == "__main__":
    main()
