"""The period's headline numbers, and the arithmetic every breakdown shares."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.storage.models import Compensation, SurveyResponse
from feedback.followups import as_dict
from feedback.metrics.people import nps_per_person
from feedback.metrics.period import Filters
from feedback.metrics.recovery_groups import recovery_effectiveness
from feedback.metrics.remedies import remedy_numbers
from feedback.metrics.rows import PeriodRows, load_period
from feedback.surveys.scores import ces_mean, summarise_csat, summarise_nps

KINDS = ("nps", "ces", "csat")


@dataclass(frozen=True)
class Headline:
    """The numbers the report prints (feedback/reports.py), in the order it lists them."""

    nps: float | None
    nps_promoters: int
    nps_passives: int
    nps_detractors: int
    ces: float | None
    ces_distribution: dict[str, int]
    csat: float | None
    csat_satisfied_share: float | None
    response_rates: dict[str, float | None]
    sentiment_mean: float | None
    sentiment_negative_share: float | None
    customer_messages: int
    escalations_by_reason: dict[str, int]
    compensations: int
    compensation_value_cents: int
    percent_coupons: int
    recovery: dict[str, dict[str, float | None]]  # group -> customers, nps, nps_responses, csat, csat_responses
    remedies: dict  # by_remedy, by_goodwill (cases and cost), loyalty (NPS and CSAT per group)
    nps_people: dict  # NPS per person: nps, people, promoters, passives, detractors (feedback/metrics/people.py)
    followups: dict  # sent, answered, not_resolved, not_resolved_rate, csat, csat_responses (feedback/followups.py)


@dataclass(frozen=True)
class Totals(Headline):
    """The period's headline numbers, computed once: the report prints them, the dashboard shows
    them, and these counts besides, beside its breakdowns."""

    offered: dict[str, int]
    answered: dict[str, int]
    not_understood: int  # customer messages the assistant did not understand
    conversations: int  # started in the period


# -- arithmetic ------------------------------------------------------------------------------


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def negative_share(polarities: list[float]) -> float | None:
    return mean([float(p < 0) for p in polarities])


def rate(answered: int, offered: int) -> float | None:
    return answered / offered if offered else None


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds() / 60


def score(kind: str, surveys: Iterable[SurveyResponse]) -> float | None:
    """NPS, CES or CSAT of the answered surveys of that kind."""
    answered = [s for s in surveys if s.kind == kind and s.status == "answered"]
    if kind == "nps":
        return summarise_nps(s.score for s in answered).score
    if kind == "ces":
        return ces_mean(s.answer for s in answered)
    return summarise_csat(s.score for s in answered).mean


def survey_counts(surveys: list[SurveyResponse]) -> tuple[dict[str, int], dict[str, int], dict[str, float | None]]:
    """Offered, answered and the response rate, per survey kind."""
    offered = Counter(s.kind for s in surveys)
    answered = Counter(s.kind for s in surveys if s.status == "answered")
    return (
        {k: offered[k] for k in KINDS},
        {k: answered[k] for k in KINDS},
        {k: rate(answered[k], offered[k]) for k in KINDS},
    )


def compensation_value(compensations: Iterable[Compensation]) -> tuple[int, int, int]:
    """How many, their money value in cents, and how many are percent coupons."""
    rows = list(compensations)
    return len(rows), sum(c.amount_cents or 0 for c in rows), sum(c.percent is not None for c in rows)


# -- the totals ------------------------------------------------------------------------------


def totals_of(rows: PeriodRows) -> Totals:
    answered = rows.answered
    by_kind = {k: [s for s in answered if s.kind == k] for k in KINDS}
    nps = summarise_nps(s.score for s in by_kind["nps"])
    csat = summarise_csat(s.score for s in by_kind["csat"])
    offered, answered_counts, rates = survey_counts(rows.surveys)
    polarities = [p for _, _, p, _ in rows.messages]
    compensations, value_cents, percent_coupons = compensation_value(rows.compensations)
    return Totals(
        nps=nps.score,
        nps_promoters=nps.promoters,
        nps_passives=nps.passives,
        nps_detractors=nps.detractors,
        ces=ces_mean(s.answer for s in by_kind["ces"]),
        ces_distribution=dict(Counter(s.answer for s in by_kind["ces"])),
        csat=csat.mean,
        csat_satisfied_share=csat.satisfied_share,
        offered=offered,
        answered=answered_counts,
        response_rates=rates,
        sentiment_mean=mean(polarities),
        sentiment_negative_share=negative_share(polarities),
        customer_messages=len(polarities),
        escalations_by_reason=dict(Counter(h.reason for h in rows.handoffs)),
        compensations=compensations,
        compensation_value_cents=value_cents,
        percent_coupons=percent_coupons,
        recovery=recovery_effectiveness(answered, rows.history),
        remedies=remedy_numbers(rows.remedy_cases, answered, rows.remedy_history),
        nps_people=nps_per_person(answered, rows.history.people),
        followups=as_dict(rows.followups),
        not_understood=len(rows.not_understood),
        conversations=rows.conversations,
    )


def compute_totals(session: Session, filters: Filters) -> Totals:
    """The headline numbers of a period and channel (the report's)."""
    return totals_of(load_period(session, filters))
