"""Numbers over time and distributions, each with the conversations behind it (drill-down)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.storage.models import SurveyResponse
from feedback.metrics.rows import CustomerMessage
from feedback.metrics.totals import KINDS, mean, negative_share, rate, score
from feedback.surveys.scores import CES_VALUES, CSAT_RANGE, NPS_RANGE

TOPICS_OVER_TIME = 5  # the busiest topics get a line of their own

Labeller = Callable[[datetime], str]  # a moment -> the label of its time bucket


@dataclass(frozen=True)
class Point:
    """One number on a chart: its label, value (None without data), how many rows it rests on,
    and the drill-down key of the conversations behind it."""

    label: str
    value: float | None
    count: int
    drill: str


@dataclass(frozen=True)
class TopicSentiment:
    topic: str  # "faq: order_status", "complaint: late_delivery" or "none"
    conversations: int
    messages: int
    mean: float | None
    negative_share: float | None
    drill: str


class Drill:
    """Collects the conversation ids behind each number under a key."""

    def __init__(self) -> None:
        self.ids: dict[str, set[int]] = defaultdict(set)

    def add(self, key: str, conversation_ids: Iterable[int]) -> str:
        self.ids[key].update(conversation_ids)
        return key

    def frozen(self) -> dict[str, tuple[int, ...]]:
        return {key: tuple(sorted(ids)) for key, ids in self.ids.items()}


def survey_series(
    surveys: list[SurveyResponse], labels: tuple[str, ...], label_of: Labeller, drill: Drill
) -> tuple[dict[str, tuple[Point, ...]], dict[str, tuple[Point, ...]]]:
    """Per survey kind and bucket: the score of the answers, and the response rate."""
    by_bucket: dict[str, list[SurveyResponse]] = defaultdict(list)
    for survey in surveys:
        by_bucket[label_of(survey.offered_at)].append(survey)
    scores, rates = {}, {}
    for kind in KINDS:
        points, rate_points = [], []
        for label in labels:
            offered = [s for s in by_bucket[label] if s.kind == kind]
            done = [s for s in offered if s.status == "answered"]
            points.append(
                Point(
                    label, score(kind, done), len(done), drill.add(f"{kind}:{label}", (s.conversation_id for s in done))
                )
            )
            rate_points.append(
                Point(
                    label,
                    rate(len(done), len(offered)),
                    len(offered),
                    drill.add(f"{kind}-offered:{label}", (s.conversation_id for s in offered)),
                )
            )
        scores[kind], rates[kind] = tuple(points), tuple(rate_points)
    return scores, rates


def _distribution(
    answered: list[SurveyResponse],
    values: Iterable,
    value_of: Callable[[SurveyResponse], object],
    key: str,
    drill: Drill,
) -> tuple[Point, ...]:
    points = []
    for value in values:
        ids = [s.conversation_id for s in answered if value_of(s) == value]
        points.append(Point(str(value), float(len(ids)), len(ids), drill.add(f"{key}:{value}", ids)))
    return tuple(points)


def distributions(answered: list[SurveyResponse], drill: Drill) -> dict[str, tuple[Point, ...]]:
    """How many answers gave each NPS score, CES answer and CSAT score."""
    by_kind = {k: [s for s in answered if s.kind == k] for k in KINDS}
    return {
        "nps": _distribution(by_kind["nps"], NPS_RANGE, lambda s: s.score, "nps-score", drill),
        "ces": _distribution(by_kind["ces"], CES_VALUES, lambda s: s.answer, "ces-answer", drill),
        "csat": _distribution(by_kind["csat"], CSAT_RANGE, lambda s: s.score, "csat-score", drill),
    }


def sentiment_by_channel(
    messages: list[CustomerMessage], labels: tuple[str, ...], label_of: Labeller, drill: Drill
) -> tuple[dict[str, tuple[Point, ...]], dict[str, tuple[Point, ...]]]:
    """Per channel and bucket: mean polarity, and the share of negative messages."""
    by_channel_bucket: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
    for conversation_id, channel, polarity, at in messages:
        by_channel_bucket[(channel, label_of(at))].append((conversation_id, polarity))
    means, negatives = {}, {}
    for channel in sorted({c for c, _ in by_channel_bucket}):
        mean_points, negative_points = [], []
        for label in labels:
            rows = by_channel_bucket[(channel, label)]
            key = drill.add(f"sentiment:{channel}:{label}", (cid for cid, _ in rows))
            values = [p for _, p in rows]
            mean_points.append(Point(label, mean(values), len(values), key))
            negative_points.append(Point(label, negative_share(values), len(values), key))
        means[channel], negatives[channel] = tuple(mean_points), tuple(negative_points)
    return means, negatives


def sentiment_by_topic(
    messages: list[CustomerMessage], topics: dict[int, str], labels: tuple[str, ...], label_of: Labeller, drill: Drill
) -> tuple[tuple[TopicSentiment, ...], dict[str, tuple[Point, ...]]]:
    """Per conversation topic, busiest first: mean polarity over the period, and per bucket for the
    busiest few."""
    by_topic: dict[str, list[tuple[int, float, datetime]]] = defaultdict(list)
    for conversation_id, _, polarity, at in messages:
        by_topic[topics[conversation_id]].append((conversation_id, polarity, at))
    busiest = sorted(by_topic.items(), key=lambda item: (-len(item[1]), item[0]))
    series = {}
    for topic, rows in busiest[:TOPICS_OVER_TIME]:
        per_bucket: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for conversation_id, polarity, at in rows:
            per_bucket[label_of(at)].append((conversation_id, polarity))
        series[topic] = tuple(
            Point(
                label,
                mean([p for _, p in per_bucket[label]]),
                len(per_bucket[label]),
                drill.add(f"topic:{topic}:{label}", (cid for cid, _ in per_bucket[label])),
            )
            for label in labels
        )
    table = tuple(
        TopicSentiment(
            topic=topic,
            conversations=len({cid for cid, _, _ in rows}),
            messages=len(rows),
            mean=mean([p for _, p, _ in rows]),
            negative_share=negative_share([p for _, p, _ in rows]),
            drill=drill.add(f"topic:{topic}", (cid for cid, _, _ in rows)),
        )
        for topic, rows in busiest
    )
    return table, series
