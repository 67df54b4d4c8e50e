"""The manager dashboard's data: the period's totals with their breakdowns over time, by channel,
topic, reason, category and handler, and the conversations behind every number (drill-down).

A number's `drill` key names its conversations in `Dashboard.drilldown`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from feedback.fallbacks import FallbackGroup, group_fallbacks
from feedback.metrics import breakdowns
from feedback.metrics.breakdowns import CompensationRow, EscalationRow, HandlerRow
from feedback.metrics.formulas import DASHBOARD_FORMULAS
from feedback.metrics.period import Filters, bucket_labels, bucket_size, bucket_start, channels_in_use
from feedback.metrics.rows import PeriodRows, conversation_topics, load_period
from feedback.metrics.series import (
    Drill,
    Point,
    TopicSentiment,
    distributions,
    sentiment_by_channel,
    sentiment_by_topic,
    survey_series,
)
from feedback.metrics.totals import Totals, totals_of
from feedback.metrics.trends import Change, changes, previous_period


@dataclass(frozen=True)
class Dashboard:
    filters: Filters
    bucket: str  # "day" or "week"
    buckets: tuple[str, ...]  # bucket labels: the first day of each (YYYY-MM-DD)
    channels: tuple[str, ...]  # channels with conversations in the database (for the filter)
    totals: Totals
    scores: dict[str, tuple[Point, ...]]  # nps/ces/csat per bucket
    response_rates: dict[str, tuple[Point, ...]]  # per bucket
    distributions: dict[str, tuple[Point, ...]]  # nps 0-10, ces answers, csat 1-7
    sentiment_by_channel: dict[str, tuple[Point, ...]]  # mean polarity per bucket
    negative_share_by_channel: dict[str, tuple[Point, ...]]  # share of negative messages per bucket
    sentiment_by_topic: tuple[TopicSentiment, ...]
    sentiment_by_topic_series: dict[str, tuple[Point, ...]]  # mean polarity per bucket, the busiest topics
    escalations: tuple[EscalationRow, ...]
    compensation: tuple[CompensationRow, ...]
    recovery_drill: dict[str, str]
    handlers: tuple[HandlerRow, ...]
    fallbacks: tuple[FallbackGroup, ...]
    previous_filters: Filters  # the period of the same length just before, for the cards' changes
    previous: Totals
    drilldown: dict[str, tuple[int, ...]] = field(repr=False)
    formulas: tuple[str, ...] = DASHBOARD_FORMULAS
    remedy_drill: dict[str, str] = field(default_factory=dict)  # by_remedy:<name>, loyalty:<group> -> key

    @property
    def recovery(self) -> dict[str, dict[str, float | None]]:
        return self.totals.recovery

    @property
    def changes(self) -> dict[str, Change]:
        """The headline numbers against the previous period of the same length."""
        return changes(self.totals, self.previous)


def build_dashboard(session: Session, filters: Filters) -> Dashboard:
    rows = load_period(session, filters)
    size = bucket_size(filters)
    labels = bucket_labels(filters, size)
    drill = Drill()

    def label_of(moment: datetime) -> str:
        return bucket_start(moment, size).isoformat()

    scores, rates = survey_series(rows.surveys, labels, label_of, drill)
    means, negatives = sentiment_by_channel(rows.messages, labels, label_of, drill)
    topics = conversation_topics(session, (cid for cid, _, _, _ in rows.messages))
    topic_table, topic_series = sentiment_by_topic(rows.messages, topics, labels, label_of, drill)
    drill.add("all-surveys", (s.conversation_id for s in rows.surveys))
    before = previous_period(filters)
    totals = totals_of(rows)
    return Dashboard(
        filters=filters,
        bucket=size,
        buckets=labels,
        channels=channels_in_use(session),
        totals=totals,
        scores=scores,
        response_rates=rates,
        distributions=distributions(rows.answered, drill),
        sentiment_by_channel=means,
        negative_share_by_channel=negatives,
        sentiment_by_topic=topic_table,
        sentiment_by_topic_series=topic_series,
        escalations=breakdowns.escalations(rows.handoffs, drill),
        compensation=breakdowns.compensation_by_category(rows.compensations, drill),
        recovery_drill=breakdowns.recovery_drill(rows.answered, rows.history, drill),
        handlers=breakdowns.handlers(rows.surveys, drill),
        fallbacks=_fallbacks(rows, drill),
        previous_filters=before,
        previous=totals_of(load_period(session, before)),
        remedy_drill=_remedy_drill(totals, drill),
        drilldown=drill.frozen(),
    )


def _remedy_drill(totals: Totals, drill: Drill) -> dict[str, str]:
    """The conversations behind each remedy, goodwill and loyalty number."""
    keys = {}
    for split in ("by_remedy", "by_goodwill"):
        for row in totals.remedies[split]:
            keys[f"{split}:{row['name']}"] = drill.add(f"remedies:{split}:{row['name']}", row["conversations"])
    for group, row in totals.remedies["loyalty"].items():
        keys[f"loyalty:{group}"] = drill.add(f"remedies:loyalty:{group}", row["conversations"])
    return keys


def _fallbacks(rows: PeriodRows, drill: Drill) -> tuple[FallbackGroup, ...]:
    groups = tuple(group_fallbacks(rows.not_understood))
    for group in groups:
        drill.add(group.drill, group.conversation_ids)
    return groups
