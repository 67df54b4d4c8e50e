"""Numbers and dates as a manager reads them: "8 Oct 2026", "1-31 Oct 2026", "29.95 EUR",
"-0.01 (neutral)"; never an ISO timestamp or a bare float."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone

from feedback.metrics.trends import sentiment_label


def fmt_day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _is_midnight(moment: datetime) -> bool:
    return moment.astimezone(timezone.utc).time() == time(0)


def fmt_period(since: datetime, until: datetime) -> str:
    """[since, until) as the days it covers ("2-8 Nov 2026"), or with times when it does not start
    and end at midnight UTC."""
    since, until = since.astimezone(timezone.utc), until.astimezone(timezone.utc)
    if not (_is_midnight(since) and _is_midnight(until)):
        return f"{fmt_day(since)} {since:%H:%M} - {fmt_day(until)} {until:%H:%M} UTC"
    first, last = since.date(), (until - timedelta(days=1)).date()
    if first == last:
        return fmt_day(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}-{fmt_day(last)}"
    if first.year == last.year:
        return f"{first.day} {first:%b} - {fmt_day(last)}"
    return f"{fmt_day(first)} - {fmt_day(last)}"


def bucket_label(label: str, bucket: str) -> str:
    """A chart's x label: "3 Nov" for a day, "wk 2 Nov" for the ISO week starting that Monday."""
    day = date.fromisoformat(label)
    short = f"{day.day} {day:%b}"
    return short if bucket == "day" else f"wk {short}"


def fmt_money(cents: int, currency: str) -> str:
    return f"{cents / 100:,.2f} {currency}"


def fmt_sentiment(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.2f} ({sentiment_label(value)})"


def words(key: str) -> str:
    """A stored key as words: "customer_request" -> "customer request"."""
    return key.replace("_", " ")


def drill_title(key: str) -> str:
    """A drill-down key as a heading: "nps:2026-11-03" -> "NPS, 3 Nov 2026"."""
    kind, _, rest = key.partition(":")
    rest = re.sub(r"\d{4}-\d{2}-\d{2}", lambda m: fmt_day(date.fromisoformat(m.group())), rest)
    kind = kind.replace("nps", "NPS").replace("ces", "CES").replace("csat", "CSAT").replace("-", " ")
    return re.sub(r"\s+", " ", words(f"{kind}, {rest.replace(':', ', ')}" if rest else kind))
