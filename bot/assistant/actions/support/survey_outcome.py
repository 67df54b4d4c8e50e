"""Recording a survey answer, and closing the loop with a person after a bad score."""

from __future__ import annotations

from typing import Optional

from sqlalchemy.orm import Session

from bot.handoff.rules import escalation_rules
from bot.handoff.transitions import escalate
from bot.storage.models import Conversation, RecoveryStatus, SurveyResponse
from feedback import recovery
from bot.handoff import triggers as escalation
from feedback.surveys import records as surveys
from feedback.sentiment import default_scorer

# A detractor's score decides how urgent the follow-up is.
SEVERITY_BY_NPS = {range(0, 4): "high", range(4, 6): "medium", range(6, 7): "low"}


def answer_value(kind: str, raw: str):
    return raw if kind == "ces" else int(raw)


def record_answer(session: Session, survey: SurveyResponse, raw: str, comment: Optional[str]) -> bool:
    """Store the answer (once) and the comment with its sentiment; False if already answered."""
    recorded = surveys.answer(session, survey_id=survey.id, value=answer_value(survey.kind, raw))
    if recorded and comment:
        surveys.add_comment(session, survey_id=survey.id, text=comment, polarity=default_scorer().score(comment).polarity)
    return recorded


def close_the_loop(session: Session, conversation: Conversation, survey: SurveyResponse) -> Optional[str]:
    """A detractor NPS or a difficult CES opens a recovery case and asks a person to follow up.
    Returns what to tell the customer, or None when the answer needs no follow-up."""
    reason = escalation.survey_trigger(escalation_rules(), kind=survey.kind, score=survey.score, answer=survey.answer)
    if reason is None:
        return None
    severity = "medium"
    if survey.kind == "nps":
        severity = next((s for r, s in SEVERITY_BY_NPS.items() if survey.score in r), "low")
    case = recovery.open_case(
        session,
        conversation_id=conversation.id,
        source=reason,
        category="other",
        severity=severity,
        description=survey.comment,
    )
    recovery.close_case(case, RecoveryStatus.ESCALATED)
    return escalate(session, conversation, reason=reason).message
