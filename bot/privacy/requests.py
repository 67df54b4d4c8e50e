"""A customer's request in chat to have their data erased: recorded and queued for an admin.

Never acted on by itself: a chat message can be typed by anyone holding the customer's device or
link, so an admin checks and erases from the desk (or `cxbot customer erase`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Conversation
from bot.storage.privacy import PrivacyRequest

ERASE = "erase"


def record_request(session: Session, conversation: Conversation, kind: str = ERASE) -> bool:
    """Queue the request; False when the customer already has one of this kind waiting."""
    waiting = session.execute(
        select(PrivacyRequest.id).where(
            PrivacyRequest.customer_id == conversation.customer_id,
            PrivacyRequest.kind == kind,
            PrivacyRequest.status == "open",
        )
    ).first()
    if waiting is not None:
        return False
    session.add(PrivacyRequest(customer_id=conversation.customer_id, conversation_id=conversation.id, kind=kind))
    session.flush()
    return True
