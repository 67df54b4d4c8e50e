"""Database access for actions: a transaction per action call, from the installed context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from bot.assistant.actions.support.context import context
from bot.conversation.store import conversation_by_public_id
from bot.storage.models import Conversation


def transaction():
    """A session in a transaction, committed when the block ends without error."""
    return context().transaction()


@contextmanager
def in_conversation(tracker: Tracker) -> Iterator[tuple[Session, Conversation]]:
    """A transaction and the conversation Rasa knows by the tracker's sender id."""
    with transaction() as session:
        yield session, conversation_by_public_id(session, tracker.sender_id)
