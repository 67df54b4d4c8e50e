"""The storage engine: pooled connections that keep their settings, and few statements per turn."""

import asyncio
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, text

from bot.storage.database import get_engine
from bot.storage.models import Conversation
from bot.storage.types import parse_moment
from feedback.metrics import Filters
from tests.support.factories import add_conversation
from tests.support.routing import ScriptedAssistant, inbound, make_router


def _count(engine, what: str) -> list:
    seen: list = []
    event.listen(engine, what, lambda *args: seen.append(args))
    return seen


def test_sqlite_file_engine_reuses_its_connection(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'pool.db'}")
    try:
        connects = _count(engine, "connect")
        for _ in range(3):
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        assert len(connects) == 1
    finally:
        engine.dispose()


def test_every_pooled_sqlite_connection_has_foreign_keys_wal_and_normal_sync(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        with ExitStack() as stack:
            # Held at once, so each is a different connection of the pool.
            connections = [stack.enter_context(engine.connect()) for _ in range(3)]
            assert len({id(c.connection.dbapi_connection) for c in connections}) == 3
            for connection in connections:
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
                assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    finally:
        engine.dispose()


def test_in_memory_sqlite_still_works_with_foreign_keys():
    engine = get_engine("sqlite://")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        connection.execute(text("INSERT INTO t VALUES (1)"))
        assert connection.execute(text("SELECT x FROM t")).scalar() == 1


async def test_a_turn_opens_no_connection_and_loads_the_conversation_once_per_transaction(session_factory):
    engine = session_factory.kw["bind"]
    router = make_router(session_factory, ScriptedAssistant())
    await router.handle(inbound("hello there", message_id="m1"))  # creates the customer and conversation

    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, statement, *_: statements.append(statement))
    connects = _count(engine, "connect")
    replies = await router.handle(inbound("this is rather slow", message_id="m2"))

    assert [r.text for r in replies] == ["echo: this is rather slow"]
    assert connects == []
    loads = [s for s in statements if s.lstrip().startswith("SELECT") and "conversations.public_id" in s]
    # One for storing the message (with its customer), one for storing the replies.
    assert len(loads) == 2, loads
    assert len(statements) <= 12, statements  # 15 before the conversation was loaded once per transaction
    with session_factory() as session:
        assert session.query(Conversation).one().customer_message_count == 2


def test_rasa_tracker_store_on_sqlite_uses_the_pooled_wal_engine(tmp_path):
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.assistant.rasa import tracker_store_for

    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = tracker_store_for(url)
    try:
        assert store.engine is get_engine(url)
        with store.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        tracker = DialogueStateTracker.from_events("customer-1", [UserUttered("hello", {"name": "greet"})])
        asyncio.run(store.save(tracker))
        again = asyncio.run(store.retrieve("customer-1"))
        assert again is not None and again.latest_message.text == "hello"
    finally:
        get_engine(url).dispose()


def test_a_typed_date_without_a_zone_is_utc_and_a_zone_given_is_kept():
    assert parse_moment("2026-11-02") == datetime(2026, 11, 2, tzinfo=timezone.utc)
    assert parse_moment(" 2026-11-02T10:30 ").tzinfo == timezone.utc
    given = parse_moment("2026-11-02T10:30+02:00")
    assert given.utcoffset() == timedelta(hours=2) and given == datetime(2026, 11, 2, 8, 30, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        parse_moment("last tuesday")


def test_timestamps_read_back_from_sqlite_are_utc_aware(session_factory):
    at = datetime(2026, 11, 2, 10, 30, tzinfo=timezone(timedelta(hours=2)))
    with session_factory.begin() as session:
        add_conversation(session, "c1", at=at).last_activity_at = at.replace(tzinfo=None)
    with session_factory() as session:
        stored = session.query(Conversation).one()
        assert stored.started_at == at and stored.started_at.tzinfo == timezone.utc
        assert stored.last_activity_at == datetime(2026, 11, 2, 10, 30, tzinfo=timezone.utc)  # naive: taken as UTC


def test_a_period_needs_zone_aware_bounds():
    with pytest.raises(ValueError):
        Filters(since=datetime(2026, 11, 2), until=datetime(2026, 11, 9, tzinfo=timezone.utc))
