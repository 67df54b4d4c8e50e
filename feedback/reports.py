"""The report managers read (`cxbot report`): the metrics engine's totals for a period
[since, until), as rows, text, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, fields
from datetime import datetime

from sqlalchemy.orm import Session

from feedback.metrics import Dashboard, Filters, Totals, compute_totals
from feedback.metrics.formulas import REPORT_FORMULAS
from feedback.metrics.totals import Headline
from feedback.spreadsheet import safe_row
from feedback.surveys.scores import CES_VALUES


@dataclass(frozen=True)
class Report(Headline):
    """The headline numbers of a period [since, until)."""

    since: str
    until: str
    formulas: tuple[str, ...] = REPORT_FORMULAS


def report_of(totals: Totals, filters: Filters) -> Report:
    """The report's fields, read from the engine's totals."""
    headline = {f.name: getattr(totals, f.name) for f in fields(Headline)}
    return Report(**headline, since=filters.since.isoformat(), until=filters.until.isoformat())


def build_report(session: Session, *, since: datetime, until: datetime, channel: str | None = None) -> Report:
    filters = Filters(since=since, until=until, channel=channel)
    return report_of(compute_totals(session, filters), filters)


def as_report(board: Dashboard) -> Report:
    """The report of the dashboard's period and channel (the same totals)."""
    return report_of(board.totals, board.filters)


def _fmt(value, pattern: str = "{:.2f}") -> str:
    return "n/a" if value is None else pattern.format(value)


def _answers(distribution: dict[str, int]) -> str:
    """CES answers in words, very easy first: "very easy 6, easy 4"."""
    counted = [f"{a.replace('_', ' ')} {distribution[a]}" for a in CES_VALUES if distribution.get(a)]
    return ", ".join(counted) or "no answers"


def as_rows(report: Report) -> list[tuple[str, str]]:
    rates = report.response_rates
    return [
        ("period", f"{report.since} .. {report.until}"),
        (
            "NPS",
            f"{_fmt(report.nps, '{:+.1f}')} (promoters {report.nps_promoters}, passives "
            f"{report.nps_passives}, detractors {report.nps_detractors})",
        ),
        ("NPS per person", _nps_people(report.nps_people)),
        ("CES", f"{_fmt(report.ces)} ({_answers(report.ces_distribution)})"),
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
                f"(n={r['csat_responses']}), {r['customers']} people",
            )
            for group, r in report.recovery.items()
        ),
        ("follow-ups", followup_text(report.followups)),
        *remedy_rows(report.remedies),
    ]


def _nps_people(row: dict) -> str:
    return (
        f"{_fmt(row['nps'], '{:+.1f}')} ({row['people']} people: promoters {row['promoters']}, "
        f"passives {row['passives']}, detractors {row['detractors']})"
    )


def followup_text(row: dict) -> str:
    """Follow-ups in one line, next to the recovery figures."""
    return (
        f"sent {row['sent']}, answered {row['answered']}, not resolved {row['not_resolved']} "
        f"({_fmt(row['not_resolved_rate'], '{:.0%}')} of answers), CSAT after follow-up {_fmt(row['csat'])} "
        f"(n={row['csat_responses']})"
    )


def _cost(row: dict) -> str:
    extra = [f"{row['unvalued']} without an amount"] if row["unvalued"] else []
    extra += [f"{row['percent_coupons']} percent coupons"] if row["percent_coupons"] else []
    return f"{row['cases']} cases, cost {row['cost_cents'] / 100:.2f}" + (f" ({', '.join(extra)})" if extra else "")


def remedy_rows(remedies: dict) -> list[tuple[str, str]]:
    """Recovery cases by remedy and by goodwill with their cost, then the paradox: loyalty of
    people given a remedy plus goodwill against a remedy only."""
    rows = [(f"remedy: {r['name'].replace('_', ' ')}", _cost(r)) for r in remedies["by_remedy"]]
    rows += [(f"goodwill: {r['name'].replace('_', ' ')}", _cost(r)) for r in remedies["by_goodwill"]]
    rows += [
        (
            f"loyalty: {group.replace('_', ' ')}",
            f"NPS {_fmt(r['nps'], '{:+.1f}')} (n={r['nps_responses']}), CSAT {_fmt(r['csat'])} "
            f"(n={r['csat_responses']}), {r['customers']} people",
        )
        for group, r in remedies["loyalty"].items()
    ]
    return rows


def render(report: Report, fmt: str) -> str:
    if fmt == "json":
        data = asdict(report)
        period = {"since": data.pop("since"), "until": data.pop("until")}  # the period leads, as in the table
        return json.dumps({**period, **data}, indent=2, ensure_ascii=False)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["metric", "value"])
        writer.writerows(safe_row(row) for row in as_rows(report))
        writer.writerows(safe_row(("formula", f)) for f in report.formulas)
        return out.getvalue()
    width = max(len(name) for name, _ in as_rows(report))
    lines = [f"{name.ljust(width)}  {value}" for name, value in as_rows(report)]
    lines += ["", "Formulas:"] + [f"  {f}" for f in report.formulas]
    return "\n".join(lines)
