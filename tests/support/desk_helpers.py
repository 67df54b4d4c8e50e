"""Shared by the staff desk's end-to-end tests: staff users made with the real `cxbot user add`,
and a console session over plain HTTP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import requests

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


@dataclass
class ConsoleSession:
    """A staff member signed in to the console; requests carry the session cookie (and posts the
    CSRF token) as the console's own pages would."""

    server: RunningServer
    http: requests.Session
    cookie: str
    csrf: str

    def get(self, path: str) -> requests.Response:
        return self.http.get(f"{self.server.url}{path}", headers={"Cookie": self.cookie})

    def post(self, path: str, **data: str) -> requests.Response:
        return self.http.post(
            f"{self.server.url}{path}",
            data={"csrf_token": self.csrf, **data},
            headers={"Cookie": self.cookie},
            allow_redirects=False,
        )


def console_session(server: RunningServer, username: str) -> ConsoleSession:
    """A console sign-in over plain HTTP: the Secure cookie is passed by hand, as a browser on
    localhost would send it."""
    http = requests.Session()
    page = http.get(f"{server.url}/desk/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    signed = http.post(
        f"{server.url}/desk/login",
        allow_redirects=False,
        data={"csrf_token": token, "username": username, "password": PASSWORD},
        headers={"Cookie": f"cxdesk_login={token}"},
    )
    assert signed.status_code == 303, signed.text
    cookie = f"cxdesk_session={signed.cookies['cxdesk_session']}"
    queue = http.get(f"{server.url}/desk", headers={"Cookie": cookie})
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', queue.text).group(1)
    return ConsoleSession(server, http, cookie, csrf)
