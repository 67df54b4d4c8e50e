"""The `cxbot` command line: run the server, chat in the terminal, train, migrate, report, export, demo."""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import replace

from bot.app.console import configure_logging, exit_now, quiet_environment
from bot.app.privacy_cli import add_privacy_commands
from bot.app.settings import Settings, get_settings


def _model(settings: Settings, train_if_needed: bool):
    from bot.app.checks import require_encoder
    from bot.assistant.training import current_model, train

    require_encoder(settings)
    model = current_model(settings)
    if model is None:
        if not train_if_needed:
            sys.exit("cxbot: no model matches the current training data; run `cxbot train` first")
        model = train(settings)
    return model


def _content(settings: Settings):
    """The content folder, read and checked once before anything starts."""
    from bot.app.content import ContentError, load_content

    try:
        return load_content(settings.content_dir)
    except ContentError as error:
        sys.exit(f"cxbot: content: {error}")


def cmd_run(args: argparse.Namespace, settings: Settings) -> None:
    from bot.app import server

    settings = replace(settings, host=args.host or settings.host, port=args.port or settings.port)
    print(f"Starting cxbot ({settings.environment}) on http://{settings.host}:{settings.port}", flush=True)
    content = _content(settings)
    model = _model(settings, train_if_needed=not args.no_train)
    if args.workers > 1:
        from bot.app.workers import run_workers

        return run_workers(settings, args.workers)
    server.run(settings, model, content)
    print("Stopped.", flush=True)
    exit_now()


def cmd_train(args: argparse.Namespace, settings: Settings) -> None:
    from bot.app.checks import require_encoder
    from bot.assistant.training import train

    require_encoder(settings)
    print(train(settings, force=args.force))


def cmd_db_upgrade(_args: argparse.Namespace, settings: Settings) -> None:
    from bot.storage.database import migrate

    migrate(settings.database_url)
    print("database is at the newest revision")


def cmd_chat(args: argparse.Namespace, settings: Settings) -> None:
    from bot.app.terminal import chat

    content = _content(settings)
    asyncio.run(chat(settings, content, _model(settings, train_if_needed=True), sender=args.sender))


def _moment(command: str, text: str | None, default):
    from bot.storage.types import parse_moment

    if not text:
        return default
    try:
        return parse_moment(text)
    except ValueError:
        sys.exit(f"cxbot {command}: {text!r} is not a date (use YYYY-MM-DD or an ISO time)")


def _period(command: str, args: argparse.Namespace):
    from datetime import datetime, timedelta, timezone

    until = _moment(command, args.until, datetime.now(timezone.utc))
    since = _moment(command, args.since, until - timedelta(days=30))
    if since >= until:
        sys.exit(f"cxbot {command}: --since must be before --until")
    return since, until


def _write(text_or_bytes, out: str | None) -> None:
    if not out or out == "-":
        sys.stdout.write(text_or_bytes)
        return
    from pathlib import Path

    path = Path(out)
    if isinstance(text_or_bytes, bytes):
        path.write_bytes(text_or_bytes)
    else:
        path.write_text(text_or_bytes, encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)


def cmd_report(args: argparse.Namespace, settings: Settings) -> None:
    from bot.storage.database import get_session_factory, migrate
    from feedback.compensation import load_policy
    from feedback.metrics import Filters, build_dashboard
    from feedback.reports import build_report, render

    since, until = _period("report", args)
    if args.format == "pdf" and not args.out:
        sys.exit("cxbot report: --format pdf needs --out FILE.pdf")
    migrate(settings.database_url)
    with get_session_factory(settings.database_url)() as session:
        if args.format not in ("html", "pdf"):
            report = build_report(session, since=since, until=until, channel=args.channel)
            _write(render(report, args.format) + "\n", args.out)
            return
        board = build_dashboard(session, Filters(since=since, until=until, channel=args.channel))
    currency = load_policy(settings.content_dir / "compensation.yml").currency  # the money's, as on the dashboard
    title = "Customer experience report" + (f" ({args.channel})" if args.channel else "")
    if args.format == "html":
        from bot.dashboard.page import render_dashboard

        _write(render_dashboard(board, title=title, currency=currency), args.out)
    else:
        from pathlib import Path

        from bot.dashboard.pdf import write_pdf

        write_pdf(board, Path(args.out), currency=currency, title=title)
        print(f"wrote {args.out}", file=sys.stderr)


def cmd_export(args: argparse.Namespace, settings: Settings) -> None:
    from bot.storage.database import get_session_factory, migrate
    from feedback.exports import export_csv
    from feedback.metrics import Filters

    since, until = _period("export", args)
    migrate(settings.database_url)
    with get_session_factory(settings.database_url)() as session:
        text = export_csv(args.kind, session, Filters(since=since, until=until, channel=args.channel))
    _write(text, args.out)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> None:
    from bot.app.demo import DemoRefused, run_demo

    if args.conversations < 1:
        sys.exit("cxbot demo: --conversations must be at least 1")
    if args.weeks < 1:
        sys.exit("cxbot demo: --weeks must be at least 1")
    content = _content(settings)
    model = _model(settings, train_if_needed=True)
    try:
        summary = asyncio.run(
            run_demo(
                settings,
                content,
                model,
                conversations=args.conversations,
                weeks=args.weeks,
                seed=args.seed,
                force=args.force,
            )
        )
    except DemoRefused as refused:
        sys.exit(f"cxbot demo: {refused}")
    print(summary.describe())


def _staff_session(settings: Settings):
    from bot.storage.database import get_session_factory, migrate

    migrate(settings.database_url)
    return get_session_factory(settings.database_url).begin()


def _read_password(args: argparse.Namespace) -> str:
    import getpass

    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (10+ characters): ")
    if getpass.getpass("Again: ") != first:
        sys.exit("cxbot user: the passwords differ")
    return first


def cmd_user_add(args: argparse.Namespace, settings: Settings) -> None:
    from bot.desk.auth import StaffError, add_user

    password = _read_password(args)
    try:
        with _staff_session(settings) as session:
            user = add_user(
                session,
                username=args.username,
                display_name=args.name or args.username.title(),
                password=password,
                role=args.role,
                telegram_user_id=args.telegram_id,
            )
            print(f"added {user.username} ({user.role}); sign in at /desk/login")
    except StaffError as error:
        sys.exit(f"cxbot user add: {error}")


def cmd_user_list(_args: argparse.Namespace, settings: Settings) -> None:
    from bot.desk.auth import list_users

    with _staff_session(settings) as session:
        users = list_users(session)
        if not users:
            print("no staff users yet: cxbot user add admin --name <first name> --role admin")
        for user in users:
            telegram = f" telegram:{user.telegram_user_id}" if user.telegram_user_id else ""
            status = "active" if user.active else "disabled"
            print(f"{user.username}\t{user.display_name}\t{user.role}\t{status}{telegram}")


def cmd_user_disable(args: argparse.Namespace, settings: Settings) -> None:
    from bot.desk.auth import StaffError, disable_user

    try:
        with _staff_session(settings) as session:
            disable_user(session, args.username)
    except StaffError as error:
        sys.exit(f"cxbot user disable: {error}")
    print(f"disabled {args.username}; their console sessions have ended")


def cmd_user_link(args: argparse.Namespace, settings: Settings) -> None:
    from bot.desk.auth import StaffError, link_telegram

    try:
        with _staff_session(settings) as session:
            link_telegram(session, args.username, None if args.unlink else args.telegram_id)
    except StaffError as error:
        sys.exit(f"cxbot user link: {error}")
    print(f"{args.username}: Telegram {'unlinked' if args.unlink else f'account {args.telegram_id} linked'}")


def _add_user_commands(commands) -> None:
    from bot.desk.auth import ROLES

    user = commands.add_parser(
        "user",
        help="staff users of the desk (add, list, disable, link)",
        description="Staff who answer escalated customers in the console and on Telegram.",
    )
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="USER_COMMAND")
    add = user_commands.add_parser("add", help="add a staff user (asks for the password)")
    add.add_argument("username")
    add.add_argument("--name", help="first name customers see (default: the user name)")
    add.add_argument("--role", choices=ROLES, default="agent")
    add.add_argument("--telegram-id", type=int, help="numeric Telegram user id, to claim and reply from Telegram")
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    add.set_defaults(handler=cmd_user_add)
    listing = user_commands.add_parser("list", help="list staff users")
    listing.set_defaults(handler=cmd_user_list)
    disable = user_commands.add_parser("disable", help="disable a staff user and end their sessions")
    disable.add_argument("username")
    disable.set_defaults(handler=cmd_user_disable)
    link = user_commands.add_parser("link", help="link (or --unlink) a staff user's Telegram account")
    link.add_argument("username")
    group = link.add_mutually_exclusive_group(required=True)
    group.add_argument("--telegram-id", type=int)
    group.add_argument("--unlink", action="store_true")
    link.set_defaults(handler=cmd_user_link)


def _add_assistant_commands(commands) -> None:
    """run, chat and train: the assistant itself."""
    run = commands.add_parser(
        "run",
        help="start the server (REST channel, health)",
        description="Train if the data changed, then serve on CXBOT_HOST:CXBOT_PORT.",
    )
    run.add_argument("--host", help="interface to listen on (default CXBOT_HOST or 127.0.0.1)")
    run.add_argument("--port", type=int, help="port (default CXBOT_PORT or 8000)")
    run.add_argument("--no-train", action="store_true", help="fail instead of training when no model fits")
    run.add_argument("--workers", type=int, default=1, help="replicas on ports PORT+1..PORT+N (needs Redis)")
    run.set_defaults(handler=cmd_run)

    chat = commands.add_parser(
        "chat",
        help="talk to the assistant in this terminal",
        description="A terminal chat through the same router, storage and model.",
    )
    chat.add_argument("--sender", default=None, help="customer id to chat as (default: your user name)")
    chat.set_defaults(handler=cmd_chat)

    train = commands.add_parser(
        "train",
        help="train the assistant if its data changed",
        description="Train from config.yml, domain/, nlu/ and stories/.",
    )
    train.add_argument("--force", action="store_true", help="train even if an up-to-date model exists")
    train.set_defaults(handler=cmd_train)


def _add_report_commands(commands) -> None:
    report = commands.add_parser(
        "report",
        help="NPS, CES, CSAT, sentiment, escalations, compensation",
        description="Survey scores and service numbers for a period, with formulas.",
    )
    report.add_argument("--since", help="start, inclusive (YYYY-MM-DD; default 30 days before --until)")
    report.add_argument("--until", help="end, exclusive (YYYY-MM-DD; default now)")
    report.add_argument(
        "--format",
        choices=("table", "json", "csv", "html", "pdf"),
        default="table",
        help="html: a printable page with charts; pdf: the same as a PDF file (needs --out)",
    )
    report.add_argument("--channel", help="only conversations of this channel (default: all)")
    report.add_argument("--out", help="write to this file instead of the terminal")
    report.set_defaults(handler=cmd_report)


def _add_export_commands(commands) -> None:
    export = commands.add_parser(
        "export",
        help="CSV of survey responses, conversations or compensation",
        description="One row per survey, conversation or compensation in the period (UTF-8 CSV with a header).",
    )
    export.add_argument("kind", choices=("surveys", "conversations", "compensation"))
    export.add_argument("--since", help="start, inclusive (YYYY-MM-DD; default 30 days before --until)")
    export.add_argument("--until", help="end, exclusive (YYYY-MM-DD; default now)")
    export.add_argument("--channel", help="only conversations of this channel (default: all)")
    export.add_argument("--out", help="file to write (default: the terminal)")
    export.set_defaults(handler=cmd_export)


def _add_demo_commands(commands) -> None:
    demo = commands.add_parser(
        "demo",
        help="fill a fresh database with simulated customers",
        description="Simulated customers talk to the real assistant (FAQs, complaints, surveys, "
        "requests for a person), spread over the last weeks.",
    )
    demo.add_argument("--conversations", type=int, default=100, help="how many customers (default 100: a few minutes)")
    demo.add_argument("--weeks", type=int, default=6, help="spread over this many weeks before now (default 6)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (same seed: same personas and answers)")
    demo.add_argument("--force", action="store_true", help="add to a database that already has conversations")
    demo.set_defaults(handler=cmd_demo)


def _add_db_commands(commands) -> None:
    db = commands.add_parser("db", help="database maintenance", description="Database maintenance.")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    upgrade = db_commands.add_parser(
        "upgrade",
        help="apply migrations (alembic upgrade head)",
        description="Apply all Alembic migrations to CXBOT_DATABASE_URL.",
    )
    upgrade.set_defaults(handler=cmd_db_upgrade)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cxbot",
        description="Customer-experience chatbot: FAQ answers, sentiment and feedback, on a trained Rasa assistant.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # The order here is the order `cxbot --help` lists the commands in.
    _add_assistant_commands(commands)
    _add_report_commands(commands)
    _add_user_commands(commands)
    _add_export_commands(commands)
    _add_demo_commands(commands)
    _add_db_commands(commands)
    add_privacy_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> None:
    quiet_environment()
    args = build_parser().parse_args(argv)
    settings = get_settings()
    configure_logging(settings)
    try:
        args.handler(args, settings)
    except KeyboardInterrupt:
        # Ctrl-C while training or loading, before the server handles it: no traceback.
        print("\nStopped.", flush=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
