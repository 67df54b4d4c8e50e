"""Training time of the shipped assistant: `cxbot train --force` into a temporary folder."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

from bot.app.settings import get_settings
from bot.assistant.training import train


def measure() -> float:
    """Seconds to train config.yml on domain/, nlu/ and stories/ (the models/ folder is untouched)."""
    with tempfile.TemporaryDirectory(prefix="cxbot-bench-train-") as folder:
        settings = dataclasses.replace(get_settings(), model_dir=Path(folder))
        started = time.perf_counter()
        train(settings, force=True)
        return time.perf_counter() - started
