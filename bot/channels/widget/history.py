"""What a returning visitor sees: the messages of their latest conversation (read-only)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.widget.protocol import CHANNEL
from bot.storage.models import Conversation, Customer, Direction, Message

MAX_HISTORY_MESSAGES = 200


def _extras(row: Message) -> dict[str, Any]:
    data = row.payload_data()
    return {key: data[key] for key in ("buttons", "custom", "image") if key in data}


def _shown_text(row: Message, offered: dict[str, str]) -> str:
    # A tapped button is stored as its payload ("/affirm"); the customer saw its title.
    return offered.get(row.text, row.text)


def latest_conversation(sessions: sessionmaker, sender_id: str) -> list[dict[str, Any]]:
    """Customer, bot and staff messages of this widget visitor's newest conversation, oldest first."""
    with sessions() as session:
        return _latest_conversation(session, sender_id)


def _latest_conversation(session: Session, sender_id: str) -> list[dict[str, Any]]:
    conversation_id = session.execute(
        select(Conversation.id)
        .join(Customer, Conversation.customer_id == Customer.id)
        .where(Customer.channel == CHANNEL, Customer.external_id == sender_id)
        .order_by(Conversation.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if conversation_id is None:
        return []
    rows = list(
        session.execute(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.id.desc())
            .limit(MAX_HISTORY_MESSAGES)
        ).scalars()
    )
    rows.reverse()
    history: list[dict[str, Any]] = []
    offered: dict[str, str] = {}  # payload -> title of the buttons on the latest bot messages
    for row in rows:
        entry: dict[str, Any] = {"id": row.id, "from": row.direction}
        if row.direction == Direction.CUSTOMER.value:
            entry["text"] = _shown_text(row, offered)
            if row.external_id:
                entry["client_id"] = row.external_id
            offered = {}
        else:
            entry["text"] = row.text
            entry.update(_extras(row))
            for button in entry.get("buttons") or ():
                offered[str(button.get("payload"))] = str(button.get("title"))
        history.append(entry)
    return history
