"""The tracker store's memory (bot/assistant/tracker_cache.py) reads what Rasa's own SQL store
reads, and never serves a copy the database no longer matches."""

from __future__ import annotations

import asyncio

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered
from sqlalchemy import text

from bot.assistant.rasa import tracker_store_for
from bot.assistant.tracker_cache import CachedSQLTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet]
slots:
  topic:
    type: text
    mappings: [{type: custom}]
"""
)


def store_on(url: str) -> CachedSQLTrackerStore:
    store = tracker_store_for(url)
    assert isinstance(store, CachedSQLTrackerStore)
    store.domain = DOMAIN
    return store


def rasa_store_on(path) -> SQLTrackerStore:
    """Rasa's own store on the same file: what Rasa would read."""
    return SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(path))


def turn(store, sender: str, text_: str, *, new_session: bool = False):
    async def run():
        tracker = await store.get_or_create_tracker(sender)
        if new_session:
            tracker.update(ActionExecuted("action_session_start"))
            tracker.update(SessionStarted())
            tracker.update(SlotSet("topic", "kept"))
            tracker.update(ActionExecuted("action_listen"))
        tracker.update(UserUttered(text_, {"name": "greet", "confidence": 1.0}))
        tracker.update(ActionExecuted("utter_greet"))
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)

    asyncio.run(run())


def events_of(store, sender: str) -> list[dict]:
    tracker = asyncio.run(store.retrieve(sender))
    return [] if tracker is None else [event.as_dict() for event in tracker.events]


def test_the_cached_store_reads_what_rasas_own_store_reads_across_sessions(tmp_path):
    cached = store_on(f"sqlite:///{tmp_path / 'tracker.db'}")
    turn(cached, "c1", "hello")
    turn(cached, "c1", "again")
    turn(cached, "c1", "new session", new_session=True)
    turn(cached, "c1", "after")
    from_rasa = events_of(rasa_store_on(tmp_path / "tracker.db"), "c1")
    assert from_rasa[0]["event"] == "session_started"  # only the latest session is read
    assert events_of(cached, "c1") == from_rasa
    # and the rows it wrote are Rasa's: a fresh store (a restart) reads the same
    assert events_of(store_on(f"sqlite:///{tmp_path / 'tracker.db'}"), "c1") == from_rasa


def test_a_turn_taken_by_another_process_is_read_from_the_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    here, there = store_on(url), store_on(url)
    turn(here, "c1", "hello")
    turn(there, "c1", "from the other replica")
    texts = [event.get("text") for event in events_of(here, "c1") if event["event"] == "user"]
    assert texts == ["hello", "from the other replica"]


def test_erased_events_are_not_served_from_memory(tmp_path):
    store = store_on(f"sqlite:///{tmp_path / 'tracker.db'}")
    turn(store, "c1", "my address is 1 Main St")
    with store.engine.begin() as connection:  # what the privacy erasure does
        connection.execute(text("DELETE FROM events WHERE sender_id = 'c1'"))
    assert events_of(store, "c1") == []


def test_a_retention_sweep_of_old_rows_is_seen(tmp_path):
    store = store_on(f"sqlite:///{tmp_path / 'tracker.db'}")
    turn(store, "c1", "old")
    turn(store, "c1", "newer")
    with store.engine.begin() as connection:  # the oldest rows go, as retention deletes them
        oldest = connection.execute(text("SELECT min(id) FROM events")).scalar_one()
        connection.execute(text("DELETE FROM events WHERE id = :id"), {"id": oldest})
    assert events_of(store, "c1") == events_of(rasa_store_on(tmp_path / "tracker.db"), "c1")
