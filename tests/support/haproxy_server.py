"""HAProxy for tests, from the shipped deploy/haproxy.cfg with the test's ports filled in."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from tests.conftest import PROJECT_DIR
from tests.support.e2e_server import free_port

SHIPPED = PROJECT_DIR / "deploy" / "haproxy.cfg"


# Debian puts it in /usr/sbin, which is not on every user's PATH.
BINARY = shutil.which("haproxy") or "/usr/sbin/haproxy"


def installed() -> bool:
    return Path(BINARY).is_file()


def config_for(port: int, replica_ports: list[int]) -> str:
    """The shipped configuration, listening on `port`, in front of the replicas on these ports."""
    text = SHIPPED.read_text()
    text = re.sub(r"bind 127\.0\.0\.1:\d+", f"bind 127.0.0.1:{port}", text)
    text = re.sub(r"\n\s*server replica\d+ [^\n]+", "", text)
    servers = "".join(f"\n    server replica{i} 127.0.0.1:{p} check" for i, p in enumerate(replica_ports, 1))
    return text.rstrip("\n") + servers + "\n"


class HAProxy:
    def __init__(self, replica_ports: list[int]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.root = Path(tempfile.mkdtemp(prefix="cxbot-haproxy-"))
        self.config = self.root / "haproxy.cfg"
        self.config.write_text(config_for(self.port, replica_ports))
        self.process: subprocess.Popen | None = None

    def start(self, ready_backends: int = 1) -> str:
        check = subprocess.run([BINARY, "-c", "-f", str(self.config)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        self.process = subprocess.Popen(
            [BINARY, "-db", "-f", str(self.config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return self.url
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise TimeoutError("haproxy did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
        shutil.rmtree(self.root, ignore_errors=True)
