"""Requests for a person. The staff desk that answers them arrives in a later issue."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Conversation, HandoffRequest


def request_handoff(session: Session, *, conversation_public_id: str, reason: str) -> bool:
    """Record an open request for a person; False when one is already open (a retry)."""
    conversation = session.execute(
        select(Conversation).where(Conversation.public_id == conversation_public_id)
    ).scalar_one_or_none()
    if conversation is None:
        raise LookupError(f"no conversation {conversation_public_id!r}")
    open_request = session.execute(
        select(HandoffRequest.id).where(
            HandoffRequest.conversation_id == conversation.id, HandoffRequest.status == "open"
        )
    ).first()
    if open_request is not None:
        return False
    session.add(HandoffRequest(conversation_id=conversation.id, reason=reason, status="open"))
    return True
