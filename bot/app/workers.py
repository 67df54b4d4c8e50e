"""`cxbot run --workers N`: N replicas on one machine, on ports PORT+1 ... PORT+N.

A small process manager for a machine without one: the model is trained (if needed) and the
database migrated once, here, before the replicas start; a replica that dies is started again;
SIGTERM or Ctrl-C stops them all. Put HAProxy (deploy/haproxy.cfg) in front. Several replicas
share work through Redis, so CXBOT_REDIS_URL is required.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.app.settings import Settings
from bot.storage.database import migrate

RESTART_AFTER_SECONDS = 2


def run_workers(settings: Settings, count: int) -> None:
    if not settings.redis_url:
        raise SystemExit("cxbot: several workers share their work through Redis: set CXBOT_REDIS_URL")
    migrate(settings.database_url)  # once, before any replica starts (never two at a time)
    cxbot = str(Path(sys.executable).with_name("cxbot"))
    ports = [settings.port + number for number in range(1, count + 1)]

    def start(port: int) -> subprocess.Popen:
        env = dict(os.environ, CXBOT_PORT=str(port), CXBOT_HOST=settings.host)
        return subprocess.Popen([cxbot, "run", "--no-train"], env=env)

    replicas = {port: start(port) for port in ports}
    print(f"cxbot: {count} replicas on {settings.host}:{ports[0]}-{ports[-1]}", flush=True)
    stopping = False

    def stop(_signum, _frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while not stopping:
        time.sleep(RESTART_AFTER_SECONDS)
        for port, process in list(replicas.items()):
            if not stopping and process.poll() is not None:
                print(f"cxbot: the replica on port {port} exited ({process.returncode}); starting it again", flush=True)
                replicas[port] = start(port)
    for process in replicas.values():
        process.send_signal(signal.SIGTERM)
    for process in replicas.values():
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
