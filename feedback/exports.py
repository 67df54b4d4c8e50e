"""CSV exports for a period and channel: survey responses, conversations, compensation.

The rows are chosen by the metrics engine's rules (feedback/metrics/), so the numbers
recomputed from a CSV equal the page's: surveys by offered_at, conversations by started_at,
compensation by created_at (declined offers included here, with their status, but not counted
on the dashboard). Times are ISO 8601 in UTC; money is in cents and in units.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import (
    Compensation,
    Conversation,
    Direction,
    HandoffRequest,
    Message,
    SurveyResponse,
)
from feedback.metrics.not_understood import not_understood_per_conversation
from feedback.metrics.period import Filters, chunks, in_period, with_channel
from feedback.metrics.rows import conversation_topics
from feedback.metrics.totals import mean
from feedback.spreadsheet import safe_cell

KINDS = ("surveys", "conversations", "compensation")
# The survey buttons' payload: /survey_answer{"survey_value":"<kind>:<answer or score>"}.
_SURVEY_VALUE = re.compile(r'"survey_value"\s*:\s*"([^"]+)"')

SURVEY_COLUMNS = (
    "survey_id",
    "conversation_id",
    "conversation_public_id",
    "channel",
    "customer_id",
    "kind",
    "status",
    "handled_by",
    "score",
    "answer",
    "answer_title",
    "comment",
    "comment_polarity",
    "offered_at",
    "answered_at",
)
CONVERSATION_COLUMNS = (
    "conversation_id",
    "conversation_public_id",
    "channel",
    "customer_id",
    "state",
    "started_at",
    "last_activity_at",
    "ended_at",
    "topic",
    "customer_messages",
    "scored_messages",
    "mean_polarity",
    "negative_messages",
    "sentiment_rolling",
    "fallbacks",
    "nps",
    "ces",
    "ces_answer",
    "csat",
    "surveys_offered",
    "surveys_answered",
    "handled_by",
    "escalation_reasons",
    "compensations",
    "compensation_value_cents",
)
COMPENSATION_COLUMNS = (
    "compensation_id",
    "code",
    "conversation_id",
    "channel",
    "customer_id",
    "kind",
    "purpose",
    "category",
    "severity",
    "amount_cents",
    "amount",
    "percent",
    "currency",
    "status",
    "decided_by",
    "created_at",
    "decided_at",
)


def _time(moment) -> str:
    return "" if moment is None else moment.isoformat()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _tapped_survey_titles(session: Session, conversation_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """The button titles customers tapped to answer surveys, by conversation and survey value
    ("ces:very_easy" -> "Very easy"); typed answers have none."""
    titles: dict[tuple[int, str], str] = {}
    for chunk in chunks(sorted(set(conversation_ids))):
        taps = session.execute(
            select(Message.conversation_id, Message.text, Message.button_title).where(
                Message.conversation_id.in_(chunk),
                Message.direction == Direction.CUSTOMER.value,
                Message.button_title.is_not(None),
                Message.text.like("/survey_answer%"),
            )
        )
        for conversation_id, payload, title in taps:
            match = _SURVEY_VALUE.search(payload)
            if match is not None:
                titles[(conversation_id, match.group(1))] = title
    return titles


def survey_rows(session: Session, filters: Filters) -> list[dict]:
    query = with_channel(
        select(SurveyResponse, Conversation.public_id, Conversation.channel), filters, SurveyResponse.conversation_id
    )
    rows = session.execute(query.where(in_period(SurveyResponse.offered_at, filters)).order_by(SurveyResponse.id)).all()
    titles = _tapped_survey_titles(session, (s.conversation_id for s, _public_id, _channel in rows))
    return [
        {
            "survey_id": s.id,
            "conversation_id": s.conversation_id,
            "conversation_public_id": public_id,
            "channel": channel,
            "customer_id": s.customer_id,
            "kind": s.kind,
            "status": s.status,
            "handled_by": s.handled_by,
            "score": s.score,
            "answer": s.answer,
            # What the customer read on the button they tapped; `answer` and `score` keep the value.
            "answer_title": titles.get((s.conversation_id, f"{s.kind}:{s.answer or s.score}")),
            "comment": s.comment,
            "comment_polarity": s.comment_polarity,
            "offered_at": _time(s.offered_at),
            "answered_at": _time(s.answered_at),
        }
        for s, public_id, channel in rows
    ]


def compensation_rows(session: Session, filters: Filters) -> list[dict]:
    query = with_channel(select(Compensation, Conversation.channel), filters, Compensation.conversation_id)
    rows = session.execute(query.where(in_period(Compensation.created_at, filters)).order_by(Compensation.id)).all()
    return [
        {
            "compensation_id": c.id,
            "code": c.code,
            "conversation_id": c.conversation_id,
            "channel": channel,
            "customer_id": c.customer_id,
            "kind": c.kind,
            "purpose": c.purpose,  # remedy (fixes the problem) or goodwill (the gesture after it)
            "category": c.category,
            "severity": c.severity,
            "amount_cents": c.amount_cents,
            "amount": None if c.amount_cents is None else f"{c.amount_cents / 100:.2f}",
            "percent": c.percent,
            "currency": c.currency,
            "status": c.status,
            "decided_by": c.decided_by,
            "created_at": _time(c.created_at),
            "decided_at": _time(c.decided_at),
        }
        for c, channel in rows
    ]


@dataclass
class _Related:
    """A conversation's rows the export summarises."""

    polarities: list[float | None] = field(default_factory=list)  # customer messages (None: not scored)
    surveys: list[SurveyResponse] = field(default_factory=list)
    escalation_reasons: list[str] = field(default_factory=list)
    compensations: list[Compensation] = field(default_factory=list)  # not declined


def _related(session: Session, conversation_ids: list[int]) -> dict[int, _Related]:
    related: dict[int, _Related] = defaultdict(_Related)
    for chunk in chunks(conversation_ids):
        for cid, polarity in session.execute(
            select(Message.conversation_id, Message.polarity).where(
                Message.conversation_id.in_(chunk), Message.direction == Direction.CUSTOMER.value
            )
        ):
            related[cid].polarities.append(polarity)
        for survey in session.execute(
            select(SurveyResponse).where(SurveyResponse.conversation_id.in_(chunk)).order_by(SurveyResponse.id)
        ).scalars():
            related[survey.conversation_id].surveys.append(survey)
        for cid, reason in session.execute(
            select(HandoffRequest.conversation_id, HandoffRequest.reason)
            .where(HandoffRequest.conversation_id.in_(chunk))
            .order_by(HandoffRequest.id)
        ):
            related[cid].escalation_reasons.append(reason)
        for compensation in session.execute(
            select(Compensation).where(
                Compensation.conversation_id.in_(chunk),
                Compensation.status != "declined",
                Compensation.purpose == "goodwill",  # as the compensation metric; remedies are apart
            )
        ).scalars():
            related[compensation.conversation_id].compensations.append(compensation)
    return related


def _conversation_row(c: Conversation, rows: _Related, topic: str, fallbacks: int) -> dict:
    scored = [p for p in rows.polarities if p is not None]
    answered = {s.kind: s for s in rows.surveys if s.status == "answered"}  # the last one wins
    return {
        "conversation_id": c.id,
        "conversation_public_id": c.public_id,
        "channel": c.channel,
        "customer_id": c.customer_id,
        "state": c.state,
        "started_at": _time(c.started_at),
        "last_activity_at": _time(c.last_activity_at),
        "ended_at": _time(c.ended_at),
        "topic": topic,
        "customer_messages": len(rows.polarities),
        "scored_messages": len(scored),
        "mean_polarity": mean(scored),
        "negative_messages": sum(p < 0 for p in scored),
        "sentiment_rolling": c.sentiment_rolling,
        "fallbacks": fallbacks,
        "nps": answered["nps"].score if "nps" in answered else None,
        "ces": answered["ces"].score if "ces" in answered else None,
        "ces_answer": answered["ces"].answer if "ces" in answered else None,
        "csat": answered["csat"].score if "csat" in answered else None,
        "surveys_offered": len(rows.surveys),
        "surveys_answered": sum(s.status == "answered" for s in rows.surveys),
        "handled_by": ";".join(sorted({s.handled_by for s in rows.surveys})),
        "escalation_reasons": ";".join(rows.escalation_reasons),
        "compensations": len(rows.compensations),
        "compensation_value_cents": sum(x.amount_cents or 0 for x in rows.compensations),
    }


def conversation_rows(session: Session, filters: Filters, ids: Iterable[int] | None = None) -> list[dict]:
    """Conversations started in the period (or exactly `ids`, for a drill-down), with their scores,
    sentiment, escalations and compensation. Scores: the conversation's last answered survey of each kind."""
    query = select(Conversation)
    if ids is not None:
        query = query.where(Conversation.id.in_(sorted(set(ids)) or [-1]))
    else:
        query = query.where(in_period(Conversation.started_at, filters))
        if filters.channel:
            query = query.where(Conversation.channel == filters.channel)
    conversations = list(session.execute(query.order_by(Conversation.id)).scalars())
    conversation_ids = [c.id for c in conversations]
    related = _related(session, conversation_ids)
    fallbacks = not_understood_per_conversation(session, conversation_ids)
    topics = conversation_topics(session, conversation_ids)
    return [_conversation_row(c, related[c.id], topics[c.id], fallbacks[c.id]) for c in conversations]


def rows_for(kind: str, session: Session, filters: Filters) -> tuple[tuple[str, ...], list[dict]]:
    if kind == "surveys":
        return SURVEY_COLUMNS, survey_rows(session, filters)
    if kind == "conversations":
        return CONVERSATION_COLUMNS, conversation_rows(session, filters)
    if kind == "compensation":
        return COMPENSATION_COLUMNS, compensation_rows(session, filters)
    raise ValueError(f"unknown export {kind!r}; choose one of {', '.join(KINDS)}")


def to_csv(columns: tuple[str, ...], rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_cell(_cell(row[column])) for column in columns])
    return out.getvalue()


def export_csv(kind: str, session: Session, filters: Filters) -> str:
    return to_csv(*rows_for(kind, session, filters))
