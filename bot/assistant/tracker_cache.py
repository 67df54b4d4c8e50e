"""Rasa's SQL tracker store with each conversation's current session also kept in memory.

For every message Rasa reads the sender's events since the last session start from its tracker
store (a query and a JSON parse per event), then before saving counts them again to know which
events are new: about a fifth of the server's CPU per message, most of the product's overhead
over bare Rasa (`python -m bench.profile_server --cpu`). The rows stay the durable record,
written as before; what changes is that the store remembers what it read and wrote, and reads a
conversation again only when its rows changed behind its back.

Warning: the memory is checked against the database before each use (the lowest and highest
event id of the sender, one indexed lookup). Another replica's turn, the privacy erasure and the
retention sweep all change one of the two, so none of them is ever answered from a stale copy.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

logger = logging.getLogger(__name__)

# Conversations whose session is kept: the busiest ones of a shop (least recently used leave).
# A bounded session (bot/assistant/sessions.py) is a few dozen events of about 1 kB each.
CACHED_CONVERSATIONS = 500


@dataclass(frozen=True)
class StoredEvent:
    id: int
    type_name: str
    timestamp: float | None
    data: str  # the JSON of the row, as stored


# The sender's lowest and highest event id: two scalar subqueries, each one index lookup (one
# min() and one max() in one SELECT would walk all the sender's index entries on SQLite).
_STAMP = sa.text(
    "SELECT (SELECT min(id) FROM events WHERE sender_id = :sender),"
    " (SELECT max(id) FROM events WHERE sender_id = :sender)"
)
Stamp = tuple[int | None, int | None]


def _stamp(connection: sa.engine.Connection, sender_id: str) -> Stamp:
    low, high = connection.execute(_STAMP, {"sender": sender_id}).one()
    return low, high


@dataclass
class Session:
    """The sender's rows as Rasa's session query returns them, and the stamp they were read at."""

    events: list[StoredEvent] = field(default_factory=list)
    stamp: Stamp = (None, None)
    # The tracker built from `events`, or the one Rasa saved last (the same events): handed out
    # once, so two turns never share one object.
    tracker: DialogueStateTracker | None = None
    lent: DialogueStateTracker | None = None


def current_session(events: list[StoredEvent]) -> list[StoredEvent]:
    """Rasa's session filter (`SQLTrackerStore._event_query`): the events at or after the latest
    SessionStarted's timestamp, all of them if there is none, in id order."""
    starts = [e.timestamp for e in events if e.type_name == SessionStarted.type_name and e.timestamp is not None]
    if not starts:
        return events
    start = max(starts)
    return [e for e in events if e.timestamp is not None and e.timestamp >= start]


class CachedSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore reading each sender's session from memory while its rows are unchanged."""

    def __init__(self, *args: Any, capacity: int = CACHED_CONVERSATIONS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._capacity = capacity
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def _load(self, sender_id: str, stamp: Stamp) -> Session:
        """The sender's current session from the rows (Rasa's own query)."""
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
            events = [StoredEvent(r.id, r.type_name, r.timestamp, r.data) for r in rows]
        return Session(events, stamp)

    def _remember(self, sender_id: str, known: Session) -> None:
        self._sessions[sender_id] = known
        self._sessions.move_to_end(sender_id)
        while len(self._sessions) > self._capacity:
            self._sessions.popitem(last=False)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        if fetch_events_from_all_sessions:
            return await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        with self.engine.connect() as connection:
            stamp = _stamp(connection, sender_id)
        known = self._sessions.get(sender_id)
        if known is None or known.stamp != stamp:
            known = self._load(sender_id, stamp)
        self._remember(sender_id, known)
        if not known.events or not self.domain:
            return None
        tracker, known.tracker = known.tracker, None
        if tracker is None or len(tracker.events) != len(known.events):
            events = [json.loads(e.data) for e in known.events]
            tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        known.lent = tracker
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save (the events not stored yet, one row each), counting the stored ones in memory."""
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        known = self._sessions.pop(sender_id, None)  # unknown what is stored if this fails
        if known is None:
            with self.engine.connect() as connection:
                known = self._load(sender_id, _stamp(connection, sender_id))
        # Warning: the rows are counted as this store last saw them (checked when the tracker was
        # retrieved); under Rasa's conversation lock nobody else adds any meanwhile.
        rows = [self._row(sender_id, event) for event in list(tracker.events)[len(known.events) :]]
        if not rows:
            self._remember(sender_id, known)
            return
        with self.engine.begin() as connection:
            # One statement for all rows (Core, executemany): cheaper than Rasa's unit of work.
            connection.execute(sa.insert(self.SQLEvent.__table__), rows)
            stamp = _stamp(connection, sender_id)
        if known.stamp[0] is not None and stamp[0] != known.stamp[0]:
            return  # rows were deleted meanwhile (erasure, retention): read them again next time
        added = [StoredEvent(0, r["type_name"], r["timestamp"], r["data"]) for r in rows]
        events = current_session(known.events + added)
        # The saved tracker serves the next turn as it is, unless it began a new session (Rasa
        # would read back only the new session's events) or it is not the one handed out.
        reuse = tracker is known.lent and len(events) == len(known.events) + len(added)
        self._remember(sender_id, Session(events, stamp, tracker if reuse else None))

    @staticmethod
    def _row(sender_id: str, event: Event) -> dict[str, Any]:
        """One event's row, with the same columns Rasa's own save writes."""
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }
