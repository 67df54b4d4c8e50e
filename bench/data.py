"""Where the third-party benchmark data is: `../shared/benchmarks/data` beside the project.

A clone made elsewhere (a CI checkout in a temporary folder) has no `../shared`; it then looks
beside the repository it was cloned from. `CXBOT_BENCH_DATA` overrides both. The data is never
copied into this repository.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from bot.app.settings import PROJECT_DIR

RELATIVE = Path("shared") / "benchmarks" / "data"


def _origin_dir() -> Path | None:
    try:
        url = subprocess.run(
            ["git", "config", "--get", "remote.origin.url"], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    path = Path(url.removeprefix("file://")) if url and "://" not in url.removeprefix("file://") else None
    return path if path is not None and path.is_dir() else None


def benchmark_data_dir() -> Path:
    candidates = []
    if os.environ.get("CXBOT_BENCH_DATA"):
        candidates.append(Path(os.environ["CXBOT_BENCH_DATA"]))
    candidates.append(PROJECT_DIR.parent / RELATIVE)
    origin = _origin_dir()
    if origin is not None:
        candidates.append(origin.resolve().parent / RELATIVE)
    return next((path for path in candidates if path.is_dir()), candidates[0])


DATA = benchmark_data_dir()
