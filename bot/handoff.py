"""Requests for a person. The staff desk that answers them arrives in a later issue."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversations import conversation_by_public_id
from bot.storage.models import HandoffRequest


def request_handoff(session: Session, *, conversation_public_id: str, reason: str) -> bool:
    """Record an open request for a person; False when one is already open (a retry)."""
    conversation = conversation_by_public_id(session, conversation_public_id)
    open_request = session.execute(
        select(HandoffRequest.id).where(
            HandoffRequest.conversation_id == conversation.id, HandoffRequest.status == "open"
        )
    ).first()
    if open_request is not None:
        return False
    session.add(HandoffRequest(conversation_id=conversation.id, reason=reason, status="open"))
    return True
