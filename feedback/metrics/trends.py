"""The headline numbers against the previous period of the same length: which way each moved and
whether that is good for that metric (a higher NPS is good, more escalations are not)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from feedback.metrics.period import Filters
from feedback.metrics.totals import Totals

HIGHER, LOWER = "higher", "lower"  # which way is better; None: neither (volume)


def previous_period(filters: Filters) -> Filters:
    """The period of the same length that ends where this one starts, same channel."""
    length = filters.until - filters.since
    return Filters(since=filters.since - length, until=filters.since, channel=filters.channel)


@dataclass(frozen=True)
class Metric:
    key: str
    name: str
    value_of: Callable[[Totals], float | None]
    better: str | None
    step: float  # the smallest change shown; a smaller one is "no change"


HEADLINE_METRICS = (
    Metric("nps", "NPS", lambda t: t.nps, HIGHER, 1),
    Metric("csat", "CSAT", lambda t: t.csat, HIGHER, 0.1),
    Metric("ces", "CES", lambda t: t.ces, HIGHER, 0.01),
    Metric("sentiment", "Sentiment", lambda t: t.sentiment_mean, HIGHER, 0.01),
    Metric("escalations", "Escalations", lambda t: sum(t.escalations_by_reason.values()), LOWER, 1),
    Metric("compensation", "Compensation cost", lambda t: t.compensation_value_cents, LOWER, 1),
    Metric("conversations", "Conversations", lambda t: t.conversations, None, 1),
)


@dataclass(frozen=True)
class Change:
    """One headline number now and in the previous period."""

    key: str
    name: str
    current: float | None
    previous: float | None
    better: str | None
    step: float

    @property
    def delta(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous

    @property
    def direction(self) -> str:
        """ "up", "down", "flat", or "none" when either period has no value."""
        delta = self.delta
        if delta is None:
            return "none"
        if abs(delta) < self.step / 2:
            return "flat"
        return "up" if delta > 0 else "down"

    @property
    def verdict(self) -> str:
        """ "good", "bad" or "neutral" (no change, no comparison, or a metric with no better side)."""
        if self.better is None or self.direction in ("flat", "none"):
            return "neutral"
        return "good" if (self.direction == "up") == (self.better == HIGHER) else "bad"


def changes(current: Totals, previous: Totals) -> dict[str, Change]:
    """Every headline metric now against the previous period, by key, in the cards' order."""
    return {
        m.key: Change(m.key, m.name, m.value_of(current), m.value_of(previous), m.better, m.step)
        for m in HEADLINE_METRICS
    }


# The words for a mean polarity, so a manager reads "-0.01 (neutral)" rather than a bare number.
SENTIMENT_LABELS = ((-0.5, "very negative"), (-0.05, "negative"), (0.05, "neutral"), (0.5, "positive"))


def sentiment_label(polarity: float) -> str:
    for upper, label in SENTIMENT_LABELS:
        if polarity < upper or (label == "neutral" and polarity <= upper):
            return label
    return "very positive"
