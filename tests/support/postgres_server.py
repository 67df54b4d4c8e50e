"""A throwaway PostgreSQL server for tests (Debian's postgresql package; `make test` installs it)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def installed() -> bool:
    return _binaries() is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """initdb + postgres on a free loopback port; runs as the `postgres` user when we are root."""

    def __init__(self) -> None:
        bin_dir = _binaries()
        if bin_dir is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin = bin_dir
        # Its own folder under /tmp: pytest's folders are private to root, and the server
        # runs as `postgres` when we are root.
        self.root = root = Path(tempfile.mkdtemp(prefix="cxbot-pg-"))
        self.port = _free_port()
        self.data = root / "pgdata"
        self.process: subprocess.Popen | None = None
        self._as_user: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            user = pwd.getpwnam("postgres")
            shutil.chown(root, user.pw_uid, user.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self._as_user, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> str:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "cxbot", "--auth=trust", "-E", "UTF8")
        self._launch()
        return f"postgresql+psycopg2://cxbot@127.0.0.1:{self.port}"

    def _launch(self) -> None:
        self.process = subprocess.Popen(
            [
                *self._as_user,
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={self.root}",
                "-c",
                "fsync=off",
                # Each test's database keeps a small connection pool until the test ends.
                "-c",
                "max_connections=300",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            probe = subprocess.run(
                [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True
            )
            if probe.returncode == 0:
                return
            time.sleep(0.2)
        raise TimeoutError("PostgreSQL did not start")

    def halt(self) -> None:
        """Stop the server, keeping its data; a fast shutdown cuts open connections (a plain
        SIGTERM would wait for the replicas' pooled connections to close)."""
        if self.process and self.process.poll() is None:
            self._run(str(self.bin / "pg_ctl"), "stop", "-D", str(self.data), "-m", "fast", "-w")
            self.process.wait(timeout=30)

    def resume(self) -> None:
        """Start the halted server again on the same port and data."""
        self._launch()

    def create_database(self, name: str) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "cxbot", name)
        return f"postgresql+psycopg2://cxbot@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.root, ignore_errors=True)
