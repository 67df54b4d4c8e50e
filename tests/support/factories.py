"""Rows that several tests need: a customer with one conversation, a complaint's recovery case."""

from __future__ import annotations

from datetime import datetime

from bot.storage.models import Conversation, Customer, RecoveryCase, utcnow


def add_conversation(
    session, external_id: str, *, public_id: str | None = None, at: datetime | None = None
) -> Conversation:
    at = at or utcnow()
    customer = Customer(channel="rest", external_id=external_id, first_seen=at, last_seen=at)
    session.add(customer)
    session.flush()
    conversation = Conversation(
        customer_id=customer.id, channel="rest", customer_message_count=0, started_at=at, last_activity_at=at
    )
    if public_id:
        conversation.public_id = public_id
    session.add(conversation)
    session.flush()
    return conversation


def add_complaint_case(
    session, conversation: Conversation, category: str, status: str, *, severity: str = "high", **extra
) -> None:
    """The recovery case a complaint opened in this conversation."""
    session.add(
        RecoveryCase(
            conversation_id=conversation.id,
            customer_id=conversation.customer_id,
            source="complaint",
            category=category,
            severity=severity,
            status=status,
            **extra,
        )
    )
