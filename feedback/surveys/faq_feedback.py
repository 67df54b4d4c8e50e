"""Answers to "did that answer your question?", recorded once per FAQ answer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import FaqFeedback


def record_faq_feedback(
    session: Session, *, conversation_id: int, topic: str, question_key: str, helpful: bool
) -> bool:
    """Store the answer; False if this FAQ answer was already rated (a double tap)."""
    existing = session.execute(
        select(FaqFeedback.id).where(
            FaqFeedback.conversation_id == conversation_id,
            FaqFeedback.question_key == question_key,
        )
    ).first()
    if existing is not None:
        return False
    session.add(FaqFeedback(conversation_id=conversation_id, topic=topic, question_key=question_key, helpful=helpful))
    return True
