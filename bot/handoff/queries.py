"""Read-only questions about handoff requests: which one is active, who holds what, where to deliver.

The transitions in bot/handoff/transitions.py change requests; these functions only read them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import ACTIVE_STATUSES, Conversation, Customer, HandoffRequest, HandoffStatus


def customer_address(session: Session, conversation_id: int) -> tuple[str, str]:
    """(channel, sender id) of the conversation's customer: where deliveries go."""
    row = session.execute(
        select(Customer.channel, Customer.external_id)
        .join(Conversation, Conversation.customer_id == Customer.id)
        .where(Conversation.id == conversation_id)
    ).one()
    return row.channel, row.external_id


def active_request(session: Session, conversation_id: int) -> HandoffRequest | None:
    """The request still being served (queued, timed out or with a person), if any."""
    return session.execute(
        select(HandoffRequest)
        .where(HandoffRequest.conversation_id == conversation_id, HandoffRequest.status.in_(ACTIVE_STATUSES))
        .order_by(HandoffRequest.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def waiting_since_before(session: Session, cutoff: datetime) -> list[int]:
    """Open (not yet timed out) requests created before `cutoff`, oldest first."""
    return list(
        session.execute(
            select(HandoffRequest.id)
            .where(HandoffRequest.status == HandoffStatus.OPEN.value, HandoffRequest.created_at < cutoff)
            .order_by(HandoffRequest.id)
        ).scalars()
    )


def claimed_by(session: Session, staff_id: int) -> list[HandoffRequest]:
    """The requests `staff_id` holds now, oldest first."""
    return list(
        session.execute(
            select(HandoffRequest)
            .where(HandoffRequest.status == HandoffStatus.CLAIMED.value, HandoffRequest.assigned_to_id == staff_id)
            .order_by(HandoffRequest.id)
        ).scalars()
    )
