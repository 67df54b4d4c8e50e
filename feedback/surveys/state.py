"""What the survey rules need to know about a conversation, read from the database."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Conversation, ConversationState, Message, RecoveryCase, SurveyResponse
from feedback.surveys import plan as survey_plan
from feedback.surveys import records as surveys
from feedback.surveys.plan import SurveyContent


def surveys_in(session: Session, conversation_id: int) -> list[SurveyResponse]:
    return list(
        session.execute(
            select(SurveyResponse).where(SurveyResponse.conversation_id == conversation_id).order_by(SurveyResponse.id)
        ).scalars()
    )


def order_related(
    session: Session, conversation: Conversation, faq_topics: Iterable[str], content: SurveyContent
) -> bool:
    """A complaint in this conversation, or an FAQ about an order topic: in `faq_topics` (the
    assistant's current session) or stored with an earlier message, since a long conversation
    spans several of the assistant's sessions (bot/assistant/sessions.py)."""
    has_case = session.execute(select(RecoveryCase.id).where(RecoveryCase.conversation_id == conversation.id)).first()
    if has_case is not None or any(topic in content.order_topics for topic in faq_topics):
        return True
    asked = session.execute(
        select(Message.id)
        .where(Message.conversation_id == conversation.id)
        .where(Message.intent.in_(sorted(f"faq/{topic}" for topic in content.order_topics)))
        .limit(1)
    ).first()
    return asked is not None


def next_kind(
    session: Session,
    conversation: Conversation,
    trigger: str | None,
    content: SurveyContent,
    *,
    faq_topics: Iterable[str],
) -> str | None:
    """The survey to ask now, or None (the bot doesn't survey a conversation a person holds).
    faq_topics: the FAQ topics the customer asked about in this conversation."""
    if conversation.state != ConversationState.BOT.value:
        return None
    asked = surveys_in(session, conversation.id)
    if any(s.status == "skipped" for s in asked):
        return None  # the customer said "skip": no more surveys in this conversation
    return survey_plan.next_survey(
        content,
        trigger,
        asked=[s.kind for s in asked],
        order_related=order_related(session, conversation, faq_topics, content),
        nps_allowed=surveys.nps_allowed(session, customer_id=conversation.customer_id, window=content.nps_window),
    )
