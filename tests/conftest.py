from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PROJECT_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The trained assistant for the current data (trained once, then cached in models/)."""
    from bot.settings import load_settings
    from bot.training import train

    return train(load_settings())


@pytest.fixture
def database_url(tmp_path, monkeypatch) -> str:
    """A fresh SQLite database migrated to head, used by settings for this test."""
    from bot.settings import get_settings
    from bot.storage.database import migrate

    url = f"sqlite:///{tmp_path / 'cxbot.db'}"
    migrate(url)
    monkeypatch.setenv("CXBOT_DATABASE_URL", url)
    monkeypatch.setenv("CXBOT_TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def session_factory(database_url):
    from bot.storage.database import get_session_factory

    return get_session_factory(database_url)
