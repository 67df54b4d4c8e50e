"""Shared by the staff desk's end-to-end tests: staff users made with the real `cxbot user add`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.e2e_server import RunningServer

PASSWORD = "correct horse battery"


def cxbot_user(server: RunningServer, *args: str, password: str | None = None) -> str:
    """Run `cxbot user ...` against the running server's database, as an admin would."""
    env = dict(os.environ, CXBOT_DATABASE_URL=server.database_url, CXBOT_DATA_DIR=str(server.log_path.parent))
    cxbot = Path(sys.executable).with_name("cxbot")
    done = subprocess.run(
        [str(cxbot), "user", *args],
        input=(password + "\n") if password else None,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def add_staff(
    server: RunningServer, username: str, name: str, role: str = "agent", telegram_id: int | None = None
) -> None:
    extra = ["--telegram-id", str(telegram_id)] if telegram_id else []
    cxbot_user(server, "add", username, "--name", name, "--role", role, "--password-stdin", *extra, password=PASSWORD)
