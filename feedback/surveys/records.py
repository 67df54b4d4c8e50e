"""Surveys in chat: offering one, recording its answer once, and survey fatigue for NPS."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Conversation, SurveyResponse, utcnow
from feedback.surveys.scores import CES_VALUES, CSAT_RANGE, NPS_RANGE

KINDS = ("ces", "nps", "csat")


def offer(
    session: Session, *, conversation_id: int, kind: str, handled_by: str = "bot", now: datetime | None = None
) -> SurveyResponse:
    """Record that a survey was sent; an open one of the same kind is reused, not duplicated."""
    if kind not in KINDS:
        raise ValueError(f"unknown survey {kind!r}")
    open_survey = session.execute(
        select(SurveyResponse).where(
            SurveyResponse.conversation_id == conversation_id,
            SurveyResponse.kind == kind,
            SurveyResponse.status == "offered",
        )
    ).scalar_one_or_none()
    if open_survey is not None:
        return open_survey
    conversation = session.get(Conversation, conversation_id)
    survey = SurveyResponse(
        conversation_id=conversation_id,
        customer_id=conversation.customer_id,
        kind=kind,
        status="offered",
        handled_by=handled_by,
        offered_at=now or utcnow(),
    )
    session.add(survey)
    session.flush()
    return survey


def _validated(kind: str, value) -> tuple[int, str | None]:
    if kind == "ces":
        if value not in CES_VALUES:
            raise ValueError(f"CES answer must be one of {', '.join(CES_VALUES)}")
        return CES_VALUES[value], value
    allowed = NPS_RANGE if kind == "nps" else CSAT_RANGE
    if not isinstance(value, int) or isinstance(value, bool) or value not in allowed:
        raise ValueError(f"{kind.upper()} score must be {allowed.start}-{allowed.stop - 1}")
    return value, None


def answer(session: Session, *, survey_id: int, value, now: datetime | None = None) -> bool:
    """Record the answer; False (and nothing changes) if it was already answered or skipped."""
    survey = session.get(SurveyResponse, survey_id)
    score, key = _validated(survey.kind, value)
    if survey.status != "offered":
        return False
    survey.score, survey.answer = score, key
    survey.status, survey.answered_at = "answered", now or utcnow()
    return True


def skip(session: Session, *, survey_id: int) -> bool:
    survey = session.get(SurveyResponse, survey_id)
    if survey.status != "offered":
        return False
    survey.status = "skipped"
    return True


def add_comment(session: Session, *, survey_id: int, text: str, polarity: float | None) -> None:
    survey = session.get(SurveyResponse, survey_id)
    survey.comment, survey.comment_polarity = text[:4000], polarity


def nps_allowed(session: Session, *, customer_id: int, window: timedelta, now: datetime | None = None) -> bool:
    """At most one NPS survey per customer per window (survey fatigue)."""
    since = (now or utcnow()) - window
    recent = session.execute(
        select(SurveyResponse.id).where(
            SurveyResponse.customer_id == customer_id,
            SurveyResponse.kind == "nps",
            SurveyResponse.offered_at >= since,
        )
    ).first()
    return recent is None


def latest(session: Session, *, conversation_id: int, kind: str) -> SurveyResponse | None:
    """The newest survey of this kind offered in the conversation, whatever its status."""
    return session.execute(
        select(SurveyResponse)
        .where(SurveyResponse.conversation_id == conversation_id, SurveyResponse.kind == kind)
        .order_by(SurveyResponse.id.desc())
        .limit(1)
    ).scalar_one_or_none()
