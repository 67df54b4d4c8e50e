"""The numbers managers read, computed from the database for a period [since, until)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import (
    Compensation,
    Direction,
    HandoffRequest,
    Message,
    RecoveryCase,
    RecoveryStatus,
    SurveyResponse,
)
from feedback.surveys.scores import (
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
RECOVERY_FORMULA = (
    "recovery effectiveness: customers grouped by their complaints (recovery cases opened by a complaint): "
    "recovered = a case ended with a compensation issued or approved; not recovered = complaints, none recovered; "
    "no complaint = no complaint ever; NPS and CSAT per group from answers given in the period, "
    "for complainers only answers given after their first complaint"
)
RECOVERY_GROUPS = ("recovered", "complaint_not_recovered", "no_complaint")


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
    recovery: dict[str, dict[str, Optional[float]]]
    formulas: tuple[str, ...] = (
        NPS_FORMULA, CES_FORMULA, CSAT_FORMULA, RESPONSE_RATE_FORMULA, SENTIMENT_FORMULA, COMPENSATION_FORMULA,
        RECOVERY_FORMULA,
    )


def _in_period(column, since: datetime, until: datetime):
    return (column >= since) & (column < until)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def recovery_effectiveness(session: Session, answered: list[SurveyResponse]) -> dict[str, dict[str, Optional[float]]]:
    """NPS and CSAT side by side for recovered complainers, other complainers and everyone else."""
    first_complaint: dict[int, datetime] = {}
    recovered: set[int] = set()
    for case in session.execute(select(RecoveryCase).where(RecoveryCase.source == "complaint")).scalars():
        at = _aware(case.created_at)
        first_complaint[case.customer_id] = min(at, first_complaint.get(case.customer_id, at))
        if case.status == RecoveryStatus.RECOVERED.value:
            recovered.add(case.customer_id)
    groups: dict[str, dict[str, list[int]]] = {g: {"nps": [], "csat": [], "customers": []} for g in RECOVERY_GROUPS}
    for survey in answered:
        if survey.kind not in ("nps", "csat"):
            continue
        customer = survey.customer_id
        if customer in first_complaint:
            if _aware(survey.answered_at or survey.offered_at) < first_complaint[customer]:
                continue  # given before the complaint: says nothing about the recovery
            group = "recovered" if customer in recovered else "complaint_not_recovered"
        else:
            group = "no_complaint"
        groups[group][survey.kind].append(survey.score)
        groups[group]["customers"].append(customer)
    result = {}
    for name, values in groups.items():
        nps, csat = summarise_nps(values["nps"]), summarise_csat(values["csat"])
        result[name] = {
            "customers": len(set(values["customers"])),
            "nps": nps.score,
            "nps_responses": nps.responses,
            "csat": csat.mean,
            "csat_responses": csat.responses,
        }
    return result


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
        recovery=recovery_effectiveness(session, [s for kind in ("nps", "csat") for s in answered[kind]]),
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
        *(
            (
                f"recovery: {group.replace('_', ' ')}",
                f"NPS {_fmt(r['nps'], '{:+.1f}')} (n={r['nps_responses']}), CSAT {_fmt(r['csat'])} (n={r['csat_responses']}), {r['customers']} customers",
            )
            for group, r in report.recovery.items()
        ),
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
