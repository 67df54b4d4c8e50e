"""The rows of one period that every metric is computed from, loaded once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.storage.models import (
    Compensation,
    CompensationPurpose,
    Conversation,
    Direction,
    HandoffRequest,
    Message,
    RecoveryCase,
    SurveyResponse,
)
from feedback.followups import FollowUpFigures, followup_figures
from feedback.metrics.not_understood import not_understood_in_period
from feedback.metrics.period import Filters, chunks, in_period, with_channel
from feedback.metrics.recovery_groups import ComplaintHistory
from feedback.metrics.remedies import RemedyCase, RemedyHistory, load_remedy_cases

NO_TOPIC = "none"

CustomerMessage = tuple[int, str, float, datetime]  # conversation id, channel, polarity, time


@dataclass(frozen=True)
class PeriodRows:
    filters: Filters
    surveys: list[SurveyResponse]  # offered in the period
    messages: list[CustomerMessage]  # scored customer messages
    handoffs: list[HandoffRequest]
    compensations: list[Compensation]  # not declined
    history: ComplaintHistory  # all time: a complaint before the period still groups an answer in it
    not_understood: list[tuple[int, str]]  # (conversation id, text)
    remedy_cases: list[RemedyCase]  # cases opened in the period whose remedy was done
    remedy_history: RemedyHistory  # all time, as `history`
    conversations: int = 0  # started in the period
    followups: FollowUpFigures = FollowUpFigures(0, 0, 0, ())  # sent in the period, of the channel

    @property
    def answered(self) -> list[SurveyResponse]:
        return [s for s in self.surveys if s.status == "answered"]


def load_period(session: Session, filters: Filters) -> PeriodRows:
    history = ComplaintHistory.load(session)
    return PeriodRows(
        filters=filters,
        surveys=load_surveys(session, filters),
        messages=load_customer_messages(session, filters),
        handoffs=load_handoffs(session, filters),
        compensations=load_compensations(session, filters),
        history=history,
        not_understood=not_understood_in_period(session, filters),
        remedy_cases=load_remedy_cases(session, filters),
        remedy_history=RemedyHistory.load(session, history.people),
        conversations=count_conversations(session, filters),
        followups=followup_figures(session, since=filters.since, until=filters.until, channel=filters.channel),
    )


def count_conversations(session: Session, filters: Filters) -> int:
    """Conversations started in the period, of the chosen channel."""
    query = select(func.count()).select_from(Conversation).where(in_period(Conversation.started_at, filters))
    if filters.channel:
        query = query.where(Conversation.channel == filters.channel)
    return int(session.execute(query).scalar_one())


def _rows_in_period(session: Session, filters: Filters, model, moment, *conditions) -> list:
    """The model's rows whose `moment` is in the period, of the chosen channel, oldest first."""
    query = with_channel(select(model), filters, model.conversation_id)
    return list(session.execute(query.where(in_period(moment, filters), *conditions).order_by(model.id)).scalars())


def load_surveys(session: Session, filters: Filters) -> list[SurveyResponse]:
    """Surveys offered in the period, of the chosen channel."""
    return _rows_in_period(session, filters, SurveyResponse, SurveyResponse.offered_at)


def load_customer_messages(session: Session, filters: Filters) -> list[CustomerMessage]:
    """(conversation id, channel, polarity, time) of scored customer messages in the period."""
    query = with_channel(
        select(Message.conversation_id, Conversation.channel, Message.polarity, Message.created_at),
        filters,
        Message.conversation_id,
    )
    return [
        tuple(row)
        for row in session.execute(
            query.where(
                Message.direction == Direction.CUSTOMER.value,
                Message.polarity.isnot(None),
                in_period(Message.created_at, filters),
            ).order_by(Message.id)
        )
    ]


def load_handoffs(session: Session, filters: Filters) -> list[HandoffRequest]:
    return _rows_in_period(session, filters, HandoffRequest, HandoffRequest.created_at)


def load_compensations(session: Session, filters: Filters) -> list[Compensation]:
    """Goodwill issued, pending or redeemed in the period (declined offers are not counted; remedies
    are counted with their cases, feedback/metrics/remedies.py)."""
    return _rows_in_period(
        session,
        filters,
        Compensation,
        Compensation.created_at,
        Compensation.status != "declined",
        Compensation.purpose == CompensationPurpose.GOODWILL.value,
    )


def _customer_intents(session: Session, chunk: list[int], condition):
    return session.execute(
        select(Message.conversation_id, Message.intent)
        .where(Message.conversation_id.in_(chunk), Message.direction == Direction.CUSTOMER.value, condition)
        .order_by(Message.id)
    )


def conversation_topics(session: Session, conversation_ids: Iterable[int]) -> dict[int, str]:
    """Each conversation's topic: complaint category, else first FAQ topic, else "none"."""
    ids = sorted(set(conversation_ids))
    topics: dict[int, str] = {}
    for chunk in chunks(ids):
        for conversation_id, category in session.execute(
            select(RecoveryCase.conversation_id, RecoveryCase.category)
            .where(RecoveryCase.conversation_id.in_(chunk), RecoveryCase.source == "complaint")
            .order_by(RecoveryCase.id)
        ):
            topics.setdefault(conversation_id, f"complaint: {category}")
        for conversation_id, intent in _customer_intents(session, chunk, Message.intent.isnot(None)):
            if intent.startswith("complain_"):
                topics.setdefault(conversation_id, f"complaint: {intent[len('complain_') :]}")
        for conversation_id, intent in _customer_intents(session, chunk, Message.intent.like("faq/%")):
            topics.setdefault(conversation_id, f"faq: {intent.split('/', 1)[1]}")
    return {cid: topics.get(cid, NO_TOPIC) for cid in ids}
