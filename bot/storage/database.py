"""One engine and one session factory per database URL; migrations run through Alembic."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


# SQLite file databases keep a few open connections: SQLAlchemy 1.4's default for them (NullPool)
# opens and closes one per session, and closing the last one checkpoints the WAL (milliseconds
# per message). Most work runs in asyncio.to_thread workers, so a connection must be usable from
# any thread (QueuePool hands each to one thread at a time; SingletonThreadPool would keep one per
# thread forever).
SQLITE_POOL_SIZE = 5
SQLITE_MAX_OVERFLOW = 10


# The database cannot be reached (PostgreSQL stopped or restarting, SQLite locked past its busy
# timeout): the request fails with 503 Retry-After and the client's retry is answered; the pool's
# pre-ping reconnects once the database is back.
UNREACHABLE: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)


def _configure_sqlite_connection(dbapi_connection, _record) -> None:
    """Runs on every new pooled connection: SQLite forgets these settings per connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a power cut may lose the last
    # commits but never corrupts the database (an application crash loses nothing).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _is_file_sqlite(database: str | None) -> bool:
    return database is not None and database not in ("", ":memory:") and not database.startswith("file::memory:")


@cache
def get_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        options = {}
        if _is_file_sqlite(parsed.database):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            options = {"poolclass": QueuePool, "pool_size": SQLITE_POOL_SIZE, "max_overflow": SQLITE_MAX_OVERFLOW}
        # In-memory databases keep SQLAlchemy's default pool (one connection per thread).
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False, "timeout": 10}, **options)
        event.listen(engine, "connect", _configure_sqlite_connection)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


@cache
def get_session_factory(url: str) -> sessionmaker:
    return sessionmaker(bind=get_engine(url), class_=Session, future=True, expire_on_commit=False)


async def run_in_session(sessions: sessionmaker, work: Callable[[Session], T]) -> T:
    """Run `work` in a worker thread, in one transaction: committed if it returns, rolled back if
    it raises. The event loop keeps serving meanwhile."""

    def run() -> T:
        with sessions.begin() as session:
            return work(session)

    return await asyncio.to_thread(run)


async def run_short(sessions: sessionmaker, work: Callable[[Session], T]) -> T:
    """`run_in_session` for the short transactions of a customer message (a millisecond or two).

    On SQLite they run on the event loop itself: the hops to a worker thread and back cost more CPU
    than the two transactions of a message (about 4.4 ms of the server's CPU against their own
    3.2-3.5 ms; `python -m bench.profile_server --cpu`, BENCHMARKS.md), and with one writer thread
    SQLite never waits for its own write lock. Rasa's SQL tracker store runs on the loop the same
    way. A database across a network (PostgreSQL) keeps the worker thread, so a slow round trip
    never stalls the loop."""
    if sessions.kw["bind"].dialect.name == "sqlite":
        with sessions.begin() as session:
            return work(session)
    return await run_in_session(sessions, work)


def savepoint(session: Session):
    """`session.begin_nested()` that also holds on SQLite.

    Warning: pysqlite opens its transaction only at the first write, so a SAVEPOINT before any
    write would be the outermost one and its RELEASE would commit everything at once. Begin the
    transaction first; the caller's commit still decides.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")
    return session.begin_nested()


def alembic_config(url: str):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Bring the schema to the newest revision (`alembic upgrade head`)."""
    from alembic import command

    get_engine(url)  # creates the SQLite folder if needed
    command.upgrade(alembic_config(url), "head")
