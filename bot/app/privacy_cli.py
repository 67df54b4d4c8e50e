"""The privacy commands: `cxbot audit`, `cxbot customer export|erase`, `cxbot privacy sweep`."""

from __future__ import annotations

import argparse
import getpass

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
