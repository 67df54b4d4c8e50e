"""The privacy commands: `cxbot audit`, `cxbot customer export|erase`, `cxbot privacy sweep`."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from bot.app.settings import Settings


def _session(settings: Settings):
    from bot.storage.database import get_session_factory, migrate

    migrate(settings.database_url)
    return get_session_factory(settings.database_url).begin()


def cli_actor():
    """The person at the command line, as the audit log names them."""
    from bot.privacy.audit import Actor

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Actor(f"cli:{user}")


def cmd_audit(args: argparse.Namespace, settings: Settings) -> None:
    from bot.privacy import audit

    with _session(settings) as session:
        rows = audit.entries(session, limit=args.limit, action=args.action)
        if not rows:
            print("the audit log is empty")
        for entry in reversed(rows):  # oldest first, like a log
            print(audit.line(entry))


def cmd_customer_export(args: argparse.Namespace, settings: Settings) -> None:
    from bot.privacy.customers import NoSuchCustomer, export_customer

    try:
        with _session(settings) as session:
            data = export_customer(session, args.channel, args.id, cli_actor())
    except NoSuchCustomer as missing:
        sys.exit(f"cxbot customer export: {missing}")
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)


def cmd_customer_erase(args: argparse.Namespace, settings: Settings) -> None:
    from bot.privacy.customers import NoSuchCustomer, erase_customer, erase_trackers

    try:
        with _session(settings) as session:
            conversations = erase_customer(session, args.channel, args.id, cli_actor())
    except NoSuchCustomer as missing:
        # Idempotent: erasing again finds nobody and changes nothing.
        print(f"nothing to erase: {missing}")
        return
    events = erase_trackers(settings.tracker_database_url, conversations)
    print(
        f"erased {args.channel} customer {args.id}: {len(conversations)} conversation(s), {events} assistant event(s)"
    )


def cmd_privacy_sweep(args: argparse.Namespace, settings: Settings) -> None:
    from bot.privacy.retention import load_retention, sweep, sweep_trackers

    try:
        rules = load_retention(settings.content_dir / "privacy.yml")
    except (OSError, ValueError) as error:
        raise SystemExit(f"cxbot privacy sweep: {error}") from None
    with _session(settings) as session:
        result = sweep(session, rules, dry_run=args.dry_run)
    events = sweep_trackers(settings.tracker_database_url, rules, dry_run=args.dry_run)
    print(f"{result.describe(dry_run=args.dry_run)}; {events} of the assistant's stored events")


def add_privacy_commands(commands) -> None:
    from bot.privacy.audit import ACTIONS

    listing = commands.add_parser(
        "audit",
        help="list staff actions on customer data",
        description="The audit log: who opened, exported, erased or decided what, and when (latest last).",
    )
    listing.add_argument("--limit", type=int, default=100, help="how many of the latest entries (default 100)")
    listing.add_argument("--action", choices=ACTIONS, help="only this kind of action")
    listing.set_defaults(handler=cmd_audit)
    customer = commands.add_parser(
        "customer",
        help="export or erase one customer's data",
        description="One customer's data, named by channel and the channel's id (a Telegram chat id, "
        "the widget's visitor:... or user:..., a REST sender).",
    )
    customer_commands = customer.add_subparsers(dest="customer_command", required=True, metavar="CUSTOMER_COMMAND")
    export = customer_commands.add_parser("export", help="everything stored about the customer, as JSON")
    export.add_argument("channel")
    export.add_argument("id")
    export.add_argument("--out", help="write to this file instead of the standard output")
    export.set_defaults(handler=cmd_customer_export)
    erase = customer_commands.add_parser(
        "erase", help="remove the customer's personal data and message text (numbers for reports stay)"
    )
    erase.add_argument("channel")
    erase.add_argument("id")
    erase.set_defaults(handler=cmd_customer_erase)
    privacy = commands.add_parser(
        "privacy", help="apply the retention rules", description="The retention rules of content/privacy.yml."
    )
    privacy_commands = privacy.add_subparsers(dest="privacy_command", required=True, metavar="PRIVACY_COMMAND")
    sweeping = privacy_commands.add_parser(
        "sweep", help="remove old message text and inactive customers' ids (the server does it daily)"
    )
    sweeping.add_argument("--dry-run", action="store_true", help="only say what would be removed")
    sweeping.set_defaults(handler=cmd_privacy_sweep)
