"""The numbers managers read, computed from the database for a period [since, until)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Compensation, Direction, HandoffRequest, Message, SurveyResponse
from feedback.scores import (
    CES_FORMULA,
    CSAT_FORMULA,
    NPS_FORMULA,
    ces_mean,
    summarise_csat,
    summarise_nps,
)

SENTIMENT_FORMULA = "sentiment = mean TextBlob polarity (-1..+1) of customer messages; negative = polarity < 0"
RESPONSE_RATE_FORMULA = "response rate = answered / offered, per survey"
COMPENSATION_FORMULA = "compensation = rows issued, pending or redeemed; value = sum of amount_cents (percent coupons counted, not valued)"


@dataclass(frozen=True)
class Report:
    since: str
    until: str
    nps: Optional[float]
    nps_promoters: int
    nps_passives: int
    nps_detractors: int
    ces: Optional[float]
    ces_distribution: dict[str, int]
    csat: Optional[float]
    csat_satisfied_share: Optional[float]
    response_rates: dict[str, Optional[float]]
    sentiment_mean: Optional[float]
    sentiment_negative_share: Optional[float]
    customer_messages: int
    escalations_by_reason: dict[str, int]
    compensations: int
    compensation_value_cents: int
    percent_coupons: int
    formulas: tuple[str, ...] = (
        NPS_FORMULA, CES_FORMULA, CSAT_FORMULA, RESPONSE_RATE_FORMULA, SENTIMENT_FORMULA, COMPENSATION_FORMULA,
    )


def _in_period(column, since: datetime, until: datetime):
    return (column >= since) & (column < until)


def build_report(session: Session, *, since: datetime, until: datetime) -> Report:
    surveys = session.execute(
        select(SurveyResponse).where(_in_period(SurveyResponse.offered_at, since, until))
    ).scalars().all()
    answered = {kind: [s for s in surveys if s.kind == kind and s.status == "answered"] for kind in ("nps", "ces", "csat")}
    offered = Counter(s.kind for s in surveys)
    nps = summarise_nps(s.score for s in answered["nps"])
    csat = summarise_csat(s.score for s in answered["csat"])
    polarities = session.execute(
        select(Message.polarity).where(
            Message.direction == Direction.CUSTOMER.value,
            Message.polarity.isnot(None),
            _in_period(Message.created_at, since, until),
        )
    ).scalars().all()
    escalations = Counter(
        session.execute(
            select(HandoffRequest.reason).where(_in_period(HandoffRequest.created_at, since, until))
        ).scalars()
    )
    compensations = session.execute(
        select(Compensation).where(
            _in_period(Compensation.created_at, since, until), Compensation.status != "declined"
        )
    ).scalars().all()
    return Report(
        since=since.isoformat(),
        until=until.isoformat(),
        nps=nps.score,
        nps_promoters=nps.promoters,
        nps_passives=nps.passives,
        nps_detractors=nps.detractors,
        ces=ces_mean(s.answer for s in answered["ces"]),
        ces_distribution=dict(Counter(s.answer for s in answered["ces"])),
        csat=csat.mean,
        csat_satisfied_share=csat.satisfied_share,
        response_rates={k: (len(answered[k]) / offered[k] if offered[k] else None) for k in ("nps", "ces", "csat")},
        sentiment_mean=sum(polarities) / len(polarities) if polarities else None,
        sentiment_negative_share=sum(p < 0 for p in polarities) / len(polarities) if polarities else None,
        customer_messages=len(polarities),
        escalations_by_reason=dict(escalations),
        compensations=len(compensations),
        compensation_value_cents=sum(c.amount_cents or 0 for c in compensations),
        percent_coupons=sum(c.percent is not None for c in compensations),
    )


def _fmt(value, pattern: str = "{:.2f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def as_rows(report: Report) -> list[tuple[str, str]]:
    rates = report.response_rates
    return [
        ("period", f"{report.since} .. {report.until}"),
        ("NPS", f"{_fmt(report.nps, '{:+.1f}')} (promoters {report.nps_promoters}, passives {report.nps_passives}, detractors {report.nps_detractors})"),
        ("CES", f"{_fmt(report.ces)} {report.ces_distribution}"),
        ("CSAT", f"{_fmt(report.csat)} (satisfied {_fmt(report.csat_satisfied_share, '{:.0%}')})"),
        ("response rates", ", ".join(f"{k.upper()} {_fmt(v, '{:.0%}')}" for k, v in rates.items())),
        ("sentiment", f"mean {_fmt(report.sentiment_mean, '{:+.3f}')}, negative {_fmt(report.sentiment_negative_share, '{:.0%}')} of {report.customer_messages} messages"),
        ("escalations", ", ".join(f"{k} {v}" for k, v in sorted(report.escalations_by_reason.items())) or "none"),
        ("compensation", f"{report.compensations} ({report.compensation_value_cents / 100:.2f} in money, {report.percent_coupons} percent coupons)"),
    ]


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(asdict(report), indent=2, ensure_ascii=False)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["metric", "value"])
        writer.writerows(as_rows(report))
        writer.writerows(("formula", f) for f in report.formulas)
        return out.getvalue()
    width = max(len(name) for name, _ in as_rows(report))
    lines = [f"{name.ljust(width)}  {value}" for name, value in as_rows(report)]
    lines += ["", "Formulas:"] + [f"  {f}" for f in report.formulas]
    return "\n".join(lines)
