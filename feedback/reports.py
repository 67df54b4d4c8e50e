"""The report managers read (`cxbot report`): the metrics engine's totals for a period
[since, until), as rows, text, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from feedback.metrics import Dashboard, Filters, Totals, compute_totals
from feedback.metrics.formulas import REPORT_FORMULAS


@dataclass(frozen=True)
class Report:
    since: str
    until: str
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
    recovery: dict[str, dict[str, float | None]]
    formulas: tuple[str, ...] = REPORT_FORMULAS


def report_of(totals: Totals, filters: Filters) -> Report:
    """The report's fields, read from the engine's totals."""
    t = totals
    return Report(
        since=filters.since.isoformat(),
        until=filters.until.isoformat(),
        nps=t.nps,
        nps_promoters=t.nps_promoters,
        nps_passives=t.nps_passives,
        nps_detractors=t.nps_detractors,
        ces=t.ces,
        ces_distribution=t.ces_distribution,
        csat=t.csat,
        csat_satisfied_share=t.csat_satisfied_share,
        response_rates=t.response_rates,
        sentiment_mean=t.sentiment_mean,
        sentiment_negative_share=t.sentiment_negative_share,
        customer_messages=t.customer_messages,
        escalations_by_reason=t.escalations_by_reason,
        compensations=t.compensations,
        compensation_value_cents=t.compensation_value_cents,
        percent_coupons=t.percent_coupons,
        recovery=t.recovery,
    )


def build_report(session: Session, *, since: datetime, until: datetime, channel: str | None = None) -> Report:
    filters = Filters(since=since, until=until, channel=channel)
    return report_of(compute_totals(session, filters), filters)


def as_report(board: Dashboard) -> Report:
    """The report of the dashboard's period and channel (the same totals)."""
    return report_of(board.totals, board.filters)


def _fmt(value, pattern: str = "{:.2f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def as_rows(report: Report) -> list[tuple[str, str]]:
    rates = report.response_rates
    return [
        ("period", f"{report.since} .. {report.until}"),
        (
            "NPS",
            f"{_fmt(report.nps, '{:+.1f}')} (promoters {report.nps_promoters}, passives "
            f"{report.nps_passives}, detractors {report.nps_detractors})",
        ),
        ("CES", f"{_fmt(report.ces)} {report.ces_distribution}"),
        ("CSAT", f"{_fmt(report.csat)} (satisfied {_fmt(report.csat_satisfied_share, '{:.0%}')})"),
        ("response rates", ", ".join(f"{k.upper()} {_fmt(v, '{:.0%}')}" for k, v in rates.items())),
        (
            "sentiment",
            f"mean {_fmt(report.sentiment_mean, '{:+.3f}')}, negative "
            f"{_fmt(report.sentiment_negative_share, '{:.0%}')} of {report.customer_messages} messages",
        ),
        ("escalations", ", ".join(f"{k} {v}" for k, v in sorted(report.escalations_by_reason.items())) or "none"),
        (
            "compensation",
            f"{report.compensations} ({report.compensation_value_cents / 100:.2f} in money, "
            f"{report.percent_coupons} percent coupons)",
        ),
        *(
            (
                f"recovery: {group.replace('_', ' ')}",
                f"NPS {_fmt(r['nps'], '{:+.1f}')} (n={r['nps_responses']}), CSAT {_fmt(r['csat'])} "
                f"(n={r['csat_responses']}), {r['customers']} customers",
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
