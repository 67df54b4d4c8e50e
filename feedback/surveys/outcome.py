"""What a survey answer leads to: recorded once, and a person follows up after a bad score.

Each function returns an Outcome the survey actions only put into words (content/surveys.yml).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from sqlalchemy.orm import Session

from bot.storage.models import Conversation, SurveyResponse
from feedback import recovery
from feedback.handover import Handover
from feedback.sentiment import SentimentScorer
from feedback.surveys import plan as survey_plan
from feedback.surveys import records as surveys
from feedback.surveys.plan import SKIPPED, UNANSWERED, SurveyContent
from feedback.surveys.state import next_kind

# A detractor's score decides how urgent the follow-up is.
SEVERITY_BY_NPS = {range(0, 4): "high", range(4, 6): "medium", range(6, 7): "low"}


class Step(str, Enum):
    NOTHING = "nothing"  # no survey was running
    SKIPPED = "skipped"
    UNANSWERED = "unanswered"
    THANKS = "thanks"
    FOLLOW_UP = "follow_up"  # a person follows up: `handoff` says what happens next
    ALREADY_ANSWERED = "already_answered"


@dataclass(frozen=True)
class Outcome:
    step: Step
    handoff: str = ""
    next_survey: str | None = None


def answer_value(kind: str, raw: str):
    return raw if kind == "ces" else int(raw)


def record_answer(
    session: Session, survey: SurveyResponse, raw: str, comment: str | None, scorer: SentimentScorer
) -> bool:
    """Store the answer (once) and the comment with its sentiment; False if already answered."""
    recorded = surveys.answer(session, survey_id=survey.id, value=answer_value(survey.kind, raw))
    if recorded and comment:
        surveys.add_comment(session, survey_id=survey.id, text=comment, polarity=scorer.score(comment).polarity)
    return recorded


def close_the_loop(
    session: Session, conversation: Conversation, survey: SurveyResponse, handover: Handover
) -> str | None:
    """A detractor NPS or a difficult CES opens a recovery case and asks a person to follow up.
    Returns what to tell the customer, or None when the answer needs no follow-up."""
    reason = handover.survey_reason(kind=survey.kind, score=survey.score, answer=survey.answer)
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
    return recovery.hand_over(session, conversation, reason=reason, handover=handover, case=case)


def submit(
    session: Session,
    conversation: Conversation,
    content: SurveyContent,
    *,
    kind: str | None,
    raw: str | None,
    comment: str | None,
    trigger: str | None,
    faq_topics: Iterable[str],
    handover: Handover,
    scorer: SentimentScorer,
) -> Outcome:
    """The survey form's result: skipped, given up on, or an answer (and then perhaps the next survey)."""
    if kind not in content.questions or raw is None:
        return Outcome(Step.NOTHING)
    survey = surveys.latest(session, conversation_id=conversation.id, kind=kind) or surveys.offer(
        session, conversation_id=conversation.id, kind=kind
    )
    if raw == SKIPPED:
        surveys.skip(session, survey_id=survey.id)
        return Outcome(Step.SKIPPED)
    if raw == UNANSWERED:
        return Outcome(Step.UNANSWERED)
    record_answer(session, survey, raw, comment, scorer)
    handoff = close_the_loop(session, conversation, survey, handover)
    if handoff:
        return Outcome(Step.FOLLOW_UP, handoff=handoff)
    return Outcome(Step.THANKS, next_survey=next_kind(session, conversation, trigger, content, faq_topics=faq_topics))


def late_answer(
    session: Session,
    conversation: Conversation,
    *,
    button_value: str | None,
    handover: Handover,
    scorer: SentimentScorer,
) -> Outcome:
    """A survey button tapped after the survey moved on: recorded if still open, else once only."""
    kind, value = survey_plan.split_button_value(button_value)
    survey = surveys.latest(session, conversation_id=conversation.id, kind=kind) if kind else None
    if survey is None or survey.status != "offered":
        return Outcome(Step.ALREADY_ANSWERED)
    if value == SKIPPED:
        surveys.skip(session, survey_id=survey.id)
        return Outcome(Step.SKIPPED)
    answer = survey_plan.parse_answer(kind, value or "")
    if answer is None:
        return Outcome(Step.ALREADY_ANSWERED)
    record_answer(session, survey, str(answer), None, scorer)
    handoff = close_the_loop(session, conversation, survey, handover)
    return Outcome(Step.FOLLOW_UP, handoff=handoff) if handoff else Outcome(Step.THANKS)
