"""Sentiment scoring behind a small interface, so another scorer can replace TextBlob."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol

# Weight of the newest message in the conversation's rolling score (exponential moving average).
ROLLING_WEIGHT = 0.4


@dataclass(frozen=True)
class Sentiment:
    polarity: float  # -1 (negative) .. +1 (positive)
    subjectivity: float  # 0 (factual) .. 1 (opinion)


class SentimentScorer(Protocol):
    def score(self, text: str) -> Sentiment:
        """Score one customer message."""


class TextBlobScorer:
    """TextBlob's pattern-based lexicon scorer (no corpora download needed)."""

    def __init__(self) -> None:
        from textblob.en.sentiments import PatternAnalyzer

        self._analyzer = PatternAnalyzer()

    def score(self, text: str) -> Sentiment:
        result = self._analyzer.analyze(text)
        return Sentiment(polarity=float(result.polarity), subjectivity=float(result.subjectivity))


def rolling_score(previous: Optional[float], polarity: float, weight: float = ROLLING_WEIGHT) -> float:
    """Fold one message's polarity into the conversation's rolling score."""
    if previous is None:
        return polarity
    return (1 - weight) * previous + weight * polarity


_default: Optional[SentimentScorer] = None


def default_scorer() -> SentimentScorer:
    global _default
    if _default is None:
        _default = TextBlobScorer()
    return _default
