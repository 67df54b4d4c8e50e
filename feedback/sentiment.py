"""Sentiment scoring behind a small interface, so another scorer can replace TextBlob."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Protocol

import yaml

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


class CustomerServiceScorer:
    """TextBlob, plus a customer-service lexicon (YAML) for complaints without sentiment words.

    A matched cue pulls the polarity down to at least the cue's value, stronger with an
    intensifier ("again", "still", "third time"); TextBlob's own positive words cannot
    cancel a complaint ("great, my parcel is late again").
    """

    def __init__(self, lexicon_path: Path) -> None:
        data = yaml.safe_load(lexicon_path.read_text(encoding="utf-8")) or {}
        self._base = TextBlobScorer()
        cues = {str(k).lower(): float(v) for k, v in (data.get("negative_cues") or {}).items()}
        self._cues = [(re.compile(rf"(?<!\w){re.escape(cue)}(?!\w)"), value) for cue, value in cues.items()]
        self._intensifiers = [
            re.compile(rf"(?<!\w){re.escape(str(w).lower())}(?!\w)") if str(w)[:1].isalnum() else re.compile(re.escape(str(w)))
            for w in data.get("intensifiers") or ()
        ]
        self._factor = float(data.get("intensifier_factor", 1.3))

    def score(self, text: str) -> Sentiment:
        base = self._base.score(text)
        lowered = text.lower().replace("’", "'")
        cue = min((value for pattern, value in self._cues if pattern.search(lowered)), default=0.0)
        if cue == 0.0:
            return base
        if any(pattern.search(lowered) for pattern in self._intensifiers):
            cue *= self._factor
        polarity = max(-1.0, min(base.polarity, 0.0) + cue)
        return Sentiment(polarity=polarity, subjectivity=max(base.subjectivity, 0.5))


def rolling_score(previous: Optional[float], polarity: float, weight: float = ROLLING_WEIGHT) -> float:
    """Fold one message's polarity into the conversation's rolling score."""
    if previous is None:
        return polarity
    return (1 - weight) * previous + weight * polarity


_default: Optional[SentimentScorer] = None


def default_scorer() -> SentimentScorer:
    """The product's scorer: TextBlob with the customer-service lexicon in the content folder."""
    global _default
    if _default is None:
        from bot.settings import get_settings

        _default = CustomerServiceScorer(get_settings().content_dir / "sentiment_lexicon.yml")
    return _default
