"""Start the real `cxbot run` server in a child process for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

READY_TIMEOUT_SECONDS = 240


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RunningServer:
    def __init__(self, data_dir: Path, env_overrides: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = f"sqlite:///{data_dir / 'cxbot.db'}"
        self.log_path = data_dir / "server.log"
        env = dict(os.environ)
        env.update(
            CXBOT_DATA_DIR=str(data_dir),
            CXBOT_DATABASE_URL=self.database_url,
            CXBOT_TRACKER_DATABASE_URL=f"sqlite:///{data_dir / 'tracker.db'}",
            CXBOT_PORT=str(self.port),
            CXBOT_HOST="127.0.0.1",
        )
        env.update(env_overrides or {})  # may name another database (PostgreSQL)
        cxbot = Path(sys.executable).with_name("cxbot")
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            [str(cxbot), "run", "--no-train"], env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def wait_until_ready(self) -> dict:
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        seen_starting = False
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log()}")
            try:
                response = requests.get(f"{self.url}/health", timeout=2)
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.2)  # not listening yet, or too busy loading the model to answer
                continue
            if response.status_code == 200:
                body = response.json()
                body["seen_starting"] = seen_starting
                return body
            assert response.status_code == 503, response.text
            seen_starting = True
            time.sleep(0.3)
        raise TimeoutError(f"server not ready: {self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is not None:
            return self.process.returncode
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        if not self._log.closed:
            self._log.close()
        return code


@contextmanager
def started_server(data_dir: Path, env_overrides: dict[str, str] | None = None) -> Iterator[RunningServer]:
    """A RunningServer that has answered /health with 200 (its body kept as `health`), stopped after."""
    running = RunningServer(data_dir, env_overrides)
    try:
        running.health = running.wait_until_ready()
        yield running
    finally:
        running.stop()
