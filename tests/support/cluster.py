"""Several `cxbot run` replicas on one PostgreSQL and one Redis, behind HAProxy, for tests."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bench.limits import bench_content
from bot.storage.database import migrate
from tests.support.desk_helpers import PASSWORD
from tests.support.e2e_server import RunningServer
from tests.support.haproxy_server import HAProxy
from tests.support.redis_server import RedisServer

_databases = itertools.count()
SECRET = "cluster-test-secret-0123456789abcdef"


@dataclass
class Cluster:
    redis: RedisServer
    database_url: str
    tracker_url: str
    root: Path
    replicas: list[RunningServer] = field(default_factory=list)
    proxy: HAProxy | None = None

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {
            "CXBOT_DATABASE_URL": self.database_url,
            "CXBOT_TRACKER_DATABASE_URL": self.tracker_url,
            "CXBOT_REDIS_URL": self.redis.url,
            "CXBOT_SECRET_KEY": SECRET,
            "CXBOT_DESK_COOKIE_SECURE": "false",
            # Traffic from one test address at full speed: the rate limits (issue 17) would stop it.
            "CXBOT_CONTENT_DIR": str(self.root / "content"),
            **(extra or {}),
        }

    def start_replicas(self, count: int, extra: dict[str, str] | None = None) -> list[RunningServer]:
        """Start `count` more replicas (in parallel) and wait until each answers /health."""
        new = []
        for _ in range(count):
            data_dir = self.root / f"replica{len(self.replicas) + len(new)}"
            data_dir.mkdir()
            replica = RunningServer(data_dir, self.env(extra))
            replica.database_url = self.database_url
            new.append(replica)
        with ThreadPoolExecutor(len(new)) as pool:
            list(pool.map(lambda r: r.wait_until_ready(), new))
        self.replicas.extend(new)
        return new

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
        for replica in self.replicas:
            replica.stop()


@contextmanager
def cluster(postgres, root: Path, replicas: int = 2, proxy: bool = True, **extra: str) -> Iterator[Cluster]:
    number = next(_databases)
    database_url = postgres.create_database(f"cluster{number}")
    tracker_url = postgres.create_database(f"cluster{number}tracker")
    migrate(database_url)  # `cxbot db upgrade` before the replicas start, as the README says
    redis = RedisServer()
    redis.start()
    running = Cluster(redis, database_url, tracker_url, root)
    bench_content(root)
    try:
        running.start_replicas(replicas, dict(extra))
        if proxy:
            running.proxy = HAProxy([r.port for r in running.replicas])
            running.proxy.start()
        yield running
    finally:
        running.stop()
        redis.cleanup()


def signed_in(url: str, username: str, password: str = PASSWORD) -> tuple[requests.Session, str]:
    """A staff member signed in on the replica at `url`: the session and its CSRF token."""
    session = requests.Session()
    page = session.get(f"{url}/desk/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{url}/desk/login",
        data={"csrf_token": token, "username": username, "password": password},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303, response.text
    desk = session.get(f"{url}/desk", timeout=10)
    return session, re.search(r'<meta name="csrf-token" content="([^"]+)">', desk.text).group(1)


def login_status(url: str, username: str, password: str) -> int:
    session = requests.Session()
    page = session.get(f"{url}/desk/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    return session.post(
        f"{url}/desk/login",
        data={"csrf_token": token, "username": username, "password": password},
        allow_redirects=False,
        timeout=10,
    ).status_code
