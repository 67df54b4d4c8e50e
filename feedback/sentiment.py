"""Sentiment scoring behind a small interface, so another scorer can replace TextBlob.

TextBlob's PatternAnalyzer is the base. It is called through `PatternPort`
(feedback/textblob_port.py), a port of the same algorithm that gives identical numbers at a
fraction of the cost. `CustomerServiceScorer` adds a YAML lexicon of customer-service language on
top (complaints without sentiment words, negation, intensifiers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml

from feedback.language import PERSIAN, script_language
from feedback.textblob_port import mean, shared_pattern

# Weight of the newest message in the conversation's rolling score (exponential moving average).
ROLLING_WEIGHT = 0.4

# Longer texts are scored on their beginning: a pasted log must not take seconds to score.
MAX_SCORED_CHARS = 10_000


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
        self._pattern = shared_pattern()

    def score(self, text: str) -> Sentiment:
        a = self._pattern.assessments(self._pattern.words(text[:MAX_SCORED_CHARS]))
        return Sentiment(polarity=float(mean([p for _, p, _ in a])), subjectivity=float(mean([s for _, _, s in a])))


# Words that negate what follows ("not late", "never had an issue", "nobody replied").
NEGATORS = frozenset(
    "not no never nothing none nobody noone neither nor without hardly cannot cant dont didnt doesnt "
    "isnt wasnt arent werent havent hasnt hadnt wont wouldnt couldnt shouldnt aint".split()
)
# A negation does not reach across these ("I don't know why it is late" is a complaint).
CLAUSE_BREAKS = frozenset("but and why where when because since so although though if or yet which that".split())
# A cue after these, in the same clause, is a question about what could happen, not a complaint.
HYPOTHETICAL = frozenset(("if", "unless", "case", "whether"))
# Words (keeping inner apostrophes: "haven't") and single punctuation marks.
_TOKEN = re.compile(r"\w+(?:'\w+)*|[^\w\s]")


def _is_negator(word: str) -> bool:
    return word in NEGATORS or word.endswith("n't")


class _Phrases:
    """Phrase lookup by word n-grams: a dict probe per word that could start a phrase.

    Much cheaper than a regex alternation of a few hundred phrases, which tries every phrase
    at every character.
    """

    def __init__(self, phrases) -> None:
        self.values: dict[str, object] = {}
        lengths: dict[str, set[int]] = {}
        for phrase, value in phrases:
            words = _TOKEN.findall(phrase)
            if words:
                self.values[" ".join(words)] = value
                lengths.setdefault(words[0], set()).add(len(words))
        self._lengths = {first: sorted(ns, reverse=True) for first, ns in lengths.items()}

    def find(self, words: list[str]):
        """(index, phrase, value) of each match, longest first, not overlapping."""
        i, n = 0, len(words)
        lengths, values = self._lengths, self.values
        while i < n:
            for size in lengths.get(words[i], ()):
                if i + size <= n:
                    phrase = words[i] if size == 1 else " ".join(words[i : i + size])
                    value = values.get(phrase)
                    if value is not None:
                        yield i, phrase, value
                        i += size
                        break
            else:
                i += 1


@dataclass(frozen=True)
class _Cue:
    value: float
    kind: str  # "negative": a complaint; "positive": praise; "unmet": a complaint only when negated


class CustomerServiceScorer:
    """TextBlob, plus a customer-service lexicon (YAML) for what TextBlob misses.

    - negative cues: complaints without sentiment words ("my parcel never arrived"); a negated
      cue is no complaint ("it wasn't late", "never had an issue") but mild praise;
    - unmet cues: expectations that only complain when negated ("hasn't arrived", "nobody replied");
    - positive cues: customer-service praise ("problem solved"); negated, they complain
      ("would not recommend"); a cue worth 0 just keeps its words from counting
      ("sorry for the late reply");
    - emoji, which TextBlob ignores;
    - intensifiers ("again", "third time", "!!") make a complaint stronger.

    A complaint and TextBlob's negativity combine like independent evidence (1 - (1-a)(1-b)), so
    both together are stronger than either, without counting "late" twice to -1; TextBlob's
    positive words cannot cancel a complaint ("great, my parcel is late again").
    """

    def __init__(self, lexicon_path: Path) -> None:
        data = yaml.safe_load(lexicon_path.read_text(encoding="utf-8")) or {}
        self._base = shared_pattern()
        cues: dict[str, _Cue] = {}
        for key, kind in (
            ("unmet_when_negated", "unmet"),
            ("positive_cues", "positive"),
            ("negative_cues", "negative"),
        ):
            for phrase, value in (data.get(key) or {}).items():
                cues[self._normal(str(phrase))] = _Cue(float(value), kind)
        self._cues = _Phrases(cues.items())
        self._emoji = {str(k): float(v) for k, v in (data.get("emoji") or {}).items()}
        self._emoji_chars = re.compile(
            "|".join(sorted(map(re.escape, self._emoji), key=len, reverse=True)) or r"(?!x)x"
        )
        intensifiers = [self._normal(str(w)) for w in data.get("intensifiers") or ()]
        self._intensifier_words = _Phrases((w, True) for w in intensifiers if w[:1].isalnum())
        self._intensifier_marks = tuple(w for w in intensifiers if not w[:1].isalnum())
        self._factor = float(data.get("intensifier_factor", 1.3))
        self._window = int(data.get("negation_window", 3))
        self._unmet_window = int(data.get("unmet_negation_window", 2))

    @staticmethod
    def _normal(text: str) -> str:
        text = text.lower().replace("’", "'").replace("‘", "'")
        return re.sub(r"\bno[- ]one\b", "nobody", text) if "no" in text else text

    @staticmethod
    def _negated(words: list[str], index: int, window: int) -> bool:
        """Is there a negator among the `window` words before words[index], within its clause?"""
        for word in reversed(words[max(0, index - window) : index]):
            if _is_negator(word):
                return True
            if word in CLAUSE_BREAKS or not word[0].isalnum():
                return False
        return False

    @staticmethod
    def _hypothetical(words: list[str], index: int) -> bool:
        """Is the cue in an "if" clause ("can I return it if it doesn't fit?")?"""
        for word in reversed(words[max(0, index - 6) : index]):
            if word in HYPOTHETICAL:
                return True
            if not word[0].isalnum():
                return False
        return False

    def score(self, text: str) -> Sentiment:
        text = text[:MAX_SCORED_CHARS]
        pattern = self._base
        words = _TOKEN.findall(self._normal(text))
        complaint = praise = 0.0
        neutralised: set[str] = set()  # words TextBlob must not count ("not broken", "sorry for the late reply")
        for index, phrase, cue in self._cues.find(words):
            if self._hypothetical(words, index):
                neutralised.update(phrase.split())
                continue
            if cue.kind == "unmet":
                if self._negated(words, index, self._unmet_window):
                    complaint = min(complaint, cue.value)
            elif self._negated(words, index, self._window):
                if cue.kind == "negative":
                    praise = max(praise, -0.5 * cue.value)  # "not bad" is mildly good, as in TextBlob
                    neutralised.update(phrase.split())
                else:
                    complaint = min(complaint, -cue.value)
            elif cue.kind == "negative":
                complaint = min(complaint, cue.value)
            elif cue.value == 0.0:
                neutralised.update(phrase.split())
            else:
                praise = max(praise, cue.value)
        a = pattern.assessments(pattern.words(text))
        if neutralised:
            a = [c for c in a if not neutralised.intersection(c[0])]
        polarities = [p for _, p, _ in a]
        subjectivities = [s for _, _, s in a]
        if self._emoji and not text.isascii():
            for match in self._emoji_chars.finditer(text):
                polarities.append(self._emoji[match.group()])
                subjectivities.append(1.0)
        base, subjectivity = mean(polarities), mean(subjectivities)
        if complaint < 0.0:
            if any(mark in text for mark in self._intensifier_marks) or next(self._intensifier_words.find(words), None):
                complaint = max(-1.0, complaint * self._factor)
            polarity = -(1.0 - (1.0 + min(base, 0.0)) * (1.0 + complaint))
            return Sentiment(polarity=max(-1.0, polarity), subjectivity=max(subjectivity, 0.5))
        if praise > 0.0 and base >= 0.0:
            return Sentiment(polarity=max(base, praise), subjectivity=max(subjectivity, 0.5))
        return Sentiment(polarity=base, subjectivity=subjectivity)


class ScriptScorer:
    """One scorer per language, chosen per message by its script (feedback/language.py).

    The router scores every message through this one object; text without letters (digits,
    emoji) goes to the English scorer, which reads emoji too.
    """

    def __init__(self, *, english: SentimentScorer, persian: SentimentScorer) -> None:
        self._english = english
        self._persian = persian

    def score(self, text: str) -> Sentiment:
        # The script of the beginning decides: a long paste need not be read twice.
        persian = script_language(text[:500]) == PERSIAN
        return (self._persian if persian else self._english).score(text)


def rolling_score(previous: float | None, polarity: float, weight: float = ROLLING_WEIGHT) -> float:
    """Fold one message's polarity into the conversation's rolling score."""
    if previous is None:
        return polarity
    return (1 - weight) * previous + weight * polarity
