"""The benchmarks drive the server from one address at full speed, which the rate limits and
WebSocket caps of content/privacy.yml exist to stop: each benchmark server reads a copy of the
content folder with them raised out of the way (`bench_content`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from bot.app.settings import PROJECT_DIR

UNLIMITED = {
    "rate_limits": {
        "per_customer": {"messages": 1_000_000, "per_seconds": 60},
        "per_address": {"messages": 1_000_000, "per_seconds": 60},
    },
    "connections": {"per_visitor": 100_000, "per_address": 100_000, "idle_minutes": 600},
}


def bench_content(folder: Path) -> Path:
    """A copy of the project's content in `folder`/content, without limits; returns its path."""
    target = folder / "content"
    shutil.copytree(PROJECT_DIR / "content", target)
    privacy = target / "privacy.yml"
    rules = yaml.safe_load(privacy.read_text(encoding="utf-8")) or {}
    rules.update(UNLIMITED)
    privacy.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    return target


def server_env(folder: Path) -> dict[str, str]:
    """The environment overrides of a benchmark server (tests/support/e2e_server.RunningServer)."""
    return {"CXBOT_CONTENT_DIR": str(bench_content(folder))}
