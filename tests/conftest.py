from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PROJECT_DIR = Path(__file__).resolve().parent.parent
TESTS_DIR = Path(__file__).resolve().parent
_database_numbers = itertools.count()
# The folder says what a test needs, and its marker: `pytest -m unit` is the quick run.
#   unit:    in-process; no trained model, no server process, no browser
#   e2e:     the trained model, the real server over HTTP, the fake Telegram
#   browser: Chromium through Playwright against a real server
KINDS = ("unit", "e2e", "browser")


def pytest_collection_modifyitems(config, items) -> None:
    """Mark each test by its folder, and the ones that run on PostgreSQL as `postgres`."""
    for item in items:
        folder = Path(item.path).resolve().relative_to(TESTS_DIR).parts[0]
        if folder not in KINDS:
            raise pytest.UsageError(f"{item.nodeid}: test modules live in tests/unit, tests/e2e or tests/browser")
        item.add_marker(folder)
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("database_url") == "postgresql"
        if on_postgres or "postgres" in getattr(item, "fixturenames", ()):
            item.add_marker("postgres")


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The trained assistant for the current data (trained once, then cached in models/)."""
    from bot.app.settings import load_settings
    from bot.assistant.training import train

    return train(load_settings())


@pytest.fixture(scope="session")
def postgres():
    """One PostgreSQL server for the session; each test gets its own database."""
    from tests.support.postgres_server import PostgresServer, installed

    if not installed():
        pytest.fail("PostgreSQL is not installed; make test installs it (scripts/setup-system)")
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path, monkeypatch) -> str:
    """A fresh database migrated to head (SQLite and PostgreSQL), used by settings for this test."""
    from bot.app.settings import get_settings
    from bot.storage.database import get_engine, migrate

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cxbot.db'}"
    else:
        url = request.getfixturevalue("postgres").create_database(f"t{next(_database_numbers)}")
    migrate(url)
    monkeypatch.setenv("CXBOT_DATABASE_URL", url)
    monkeypatch.setenv("CXBOT_TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    # Close this test's pooled connections: hundreds of test databases would otherwise exhaust
    # PostgreSQL's connection limit.
    get_engine(url).dispose()


@pytest.fixture
def session_factory(database_url):
    from bot.storage.database import get_session_factory

    return get_session_factory(database_url)


@pytest.fixture(scope="session")
def content():
    """The project's content folder, as the server loads it."""
    from tests.support.content import project_content

    return project_content()


@pytest.fixture
def installed_action_context(request):
    """The actions' context installed as the assistant does: the project's content and, when the
    test has one, its database (`session_factory`)."""
    from bot.assistant.actions.support import context as actions
    from tests.support.content import action_context

    uses_database = "session_factory" in request.fixturenames
    installed = action_context(request.getfixturevalue("session_factory") if uses_database else None)
    actions.install(installed)
    yield installed
    actions.install(None)


@pytest.fixture
def conversation(session_factory) -> int:
    """One customer's conversation, known to Rasa (and the action tests) as "conv-1"."""
    from tests.support.factories import add_conversation

    with session_factory.begin() as session:
        return add_conversation(session, "c1", public_id="conv-1").id


# --- end-to-end: shared by the modules that start the real server (each defines its `server`) ---


@pytest.fixture
def db(server):
    """A session on the database of this module's running server (its `server` fixture)."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    engine = create_engine(server.database_url, future=True)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module; tests open their own contexts in it."""
    from tests.support.browser import launched_chromium

    with launched_chromium() as chromium:
        yield chromium


@pytest.fixture
def open_page(browser):
    """Opens a page in a new context of the module's Chromium (another person); closed after the test."""
    from tests.support.browser import page_opener

    with page_opener(browser) as opener:
        yield opener


@pytest.fixture(scope="module")
def telegram():
    """The fake Telegram Bot API the module's server talks to."""
    from tests.support.fake_telegram import FakeTelegram

    fake = FakeTelegram().start()
    yield fake
    fake.stop()
