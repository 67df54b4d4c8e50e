"""What the survey rules need to know about a conversation, read from the database."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Conversation, ConversationState, RecoveryCase, SurveyResponse
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
    """A complaint in this conversation, or an FAQ about an order topic."""
    has_case = session.execute(select(RecoveryCase.id).where(RecoveryCase.conversation_id == conversation.id)).first()
    return has_case is not None or any(topic in content.order_topics for topic in faq_topics)


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
