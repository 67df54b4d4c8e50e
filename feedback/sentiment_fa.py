"""Persian customer-service sentiment from a hand-written lexicon (content/sentiment_lexicon_fa.yml).

No Persian sentiment lexicon or model installs beside Rasa's pins, so this scorer reads a YAML
lexicon of complaint and praise cues, on text in one canonical spelling (feedback/language.py).
Persian puts negation on the verb after the word it negates ("خوب نبود": was not good), so a cue
is negated by a negative verb just after it or by "نه"/"بدون"/"هیچ" just before it, never across
a clause break. Negative verbs that are complaints themselves ("نرسیده": has not arrived) are cues
of their own. The result behaves like the English scorer: plain complaints about -0.5 to -0.85,
anger and accusations -0.9 or lower (one such message escalates), praise above zero.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from feedback.language import normalise_persian
from feedback.sentiment import MAX_SCORED_CHARS, Sentiment

_WORD = re.compile(r"\w+|[^\w\s]")
# Letters typed three or more times for emphasis ("عالییییی") read once.
_REPEATED = re.compile(r"(\w)\1{2,}")
# The privative prefix written apart ("بی کیفیت") reads as the joined form ("بیکیفیت").
_BI_PREFIX = re.compile(r"(?<!\w)بی\s+(?=\w)")
# Endings a single-word cue may carry: comparison, plural, ezafe/indefinite, colloquial copula,
# possessives and verb persons ("عالیه", "خوشمزهای", "سردن", "راضیم").
_ENDINGS = (
    "ترین",
    "تر",
    "هایی",
    "های",
    "ها",
    "ای",
    "یی",
    "یه",
    "ه",
    "ی",
    "اش",
    "ش",
    "شون",
    "تون",
    "مون",
    "م",
    "ست",
    "ن",
    "ند",
    "یم",
    "ید",
    "ین",
)
_MIN_STEM = 3
_SEEN_WORDS = 50_000
# Person endings of a past verb ("نرسیدن", "نیاوردند", "نگرفتیم", "نکرده").
_VERB_ENDINGS = ("م", "ی", "یم", "ید", "ین", "ن", "ند", "ه", "ش", "ن")


def canonical(text: str) -> str:
    """The form cues are matched in: normalise_persian, plus spellings that carry no sentiment."""
    text = normalise_persian(text).replace("آ", "ا").lower()
    return _BI_PREFIX.sub("بی", _REPEATED.sub(r"\1", text))


@dataclass(frozen=True)
class _Cue:
    value: float
    kind: str  # "negative", "positive", or "unmet" (a complaint only when negated)


def _words(phrase: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(canonical(phrase)))


def _word_set(items: Any) -> frozenset[str]:
    return frozenset(" ".join(_words(str(w))) for w in items or ())


class PersianScorer:
    """Lexicon-based sentiment of one Persian customer message; see the module docstring."""

    def __init__(self, lexicon_path: Path) -> None:
        data = yaml.safe_load(lexicon_path.read_text(encoding="utf-8")) or {}
        self._cues: dict[tuple[str, ...], _Cue] = {}
        for key, kind in (("unmet_when_negated", "unmet"), ("positive", "positive"), ("negative", "negative")):
            for phrase, value in (data.get(key) or {}).items():
                words = _words(str(phrase))
                if words:
                    self._cues[words] = _Cue(float(value), kind)
        self._lengths: dict[str, list[int]] = {}
        for words in self._cues:
            self._lengths.setdefault(words[0], []).append(len(words))
        for sizes in self._lengths.values():
            sizes.sort(reverse=True)
        self._whole_only = _word_set(data.get("whole_word_only"))
        self._seen: dict[str, _Cue | None] = {}
        self._after = _word_set(data.get("negators_after"))
        self._stems = _word_set(data.get("past_stems"))
        self._before = _word_set(data.get("negators_before"))
        self._breaks = _word_set(data.get("clause_breaks"))
        self._hypothetical = _word_set(data.get("hypothetical"))
        self._intensifiers = _word_set(data.get("intensifiers"))
        self._softeners = _word_set(data.get("softeners"))
        self._contrast = _word_set(data.get("contrast"))
        self._before_turn = float(data.get("before_contrast", 1.0))
        self._marks = tuple(str(m) for m in data.get("marks") or ())
        self._window_after = int(data.get("negation_window_after", 2))
        self._window_before = int(data.get("negation_window_before", 2))
        self._factor = float(data.get("intensifier_factor", 1.3))
        self._floor = float(data.get("intensified_floor", -0.85))
        self._soften = float(data.get("softener_factor", 0.6))
        self._praise_weight = float(data.get("praise_against_complaint", 0.9))
        self._unclaimed = float(data.get("unclaimed_negation", 0.0))
        self._emoji = {str(k): float(v) for k, v in (data.get("emoji") or {}).items()}
        self._emoji_chars = re.compile(
            "|".join(sorted(map(re.escape, self._emoji), key=len, reverse=True)) or r"(?!x)x"
        )

    def _single(self, word: str) -> _Cue | None:
        """A one-word cue, as written or with one of the common endings (remembered per word)."""
        if word in self._seen:
            return self._seen[word]
        found = self._cues.get((word,))
        if found is None:
            for ending in _ENDINGS:
                if word.endswith(ending) and len(word) - len(ending) >= _MIN_STEM:
                    stem = word[: -len(ending)]
                    cue = self._cues.get((stem,))
                    if cue is not None and stem not in self._whole_only:
                        found = cue
                        break
        if len(self._seen) >= _SEEN_WORDS:
            self._seen.clear()  # a bound on memory; customers' vocabulary refills it quickly
        self._seen[word] = found
        return found

    def _matches(self, words: list[str]):
        """(start, end, cue) of each cue, longest phrase first, not overlapping."""
        i, n = 0, len(words)
        while i < n:
            for size in self._lengths.get(words[i], ()):
                if size > 1 and i + size <= n:
                    cue = self._cues.get(tuple(words[i : i + size]))
                    if cue is not None:
                        yield i, i + size, cue
                        i += size
                        break
            else:
                cue = self._single(words[i]) if words[i][0].isalpha() else None
                if cue is not None:
                    yield i, i + 1, cue
                i += 1

    def _negative_verb(self, word: str) -> bool:
        """A verb with the negative prefix: listed, "نمی..." or "ن" + a listed past stem + ending."""
        if word in self._after:
            return True
        if word.startswith("نمی") and len(word) >= 5:
            return True
        if not word.startswith("ن") or len(word) < 3:
            return False
        rest = word[1:]
        return rest in self._stems or any(rest.endswith(e) and rest[: -len(e)] in self._stems for e in _VERB_ENDINGS)

    def _breaks_clause(self, word: str) -> bool:
        return word in self._breaks or not word[0].isalnum()

    def _negation(self, words: list[str], start: int, end: int) -> int | None:
        """The index of the word that negates words[start:end], or None."""
        for index in range(end, min(len(words), end + self._window_after)):
            if self._negative_verb(words[index]):
                return index
            if self._breaks_clause(words[index]):
                break
        for index in range(start - 1, max(0, start - self._window_before) - 1, -1):
            if words[index] in self._before:
                return index
            if self._breaks_clause(words[index]):
                break
        return None

    def _in_if_clause(self, words: list[str], start: int) -> bool:
        for word in reversed(words[max(0, start - 6) : start]):
            if word in self._hypothetical:
                return True
            if not word[0].isalnum():
                return False
        return False

    def _strength(self, words: list[str], start: int) -> float:
        """How the two words before a cue change it: "خیلی سرد" is more, "یکم سرد" less."""
        before = words[max(0, start - 2) : start]
        found = set(before) | ({" ".join(before)} if len(before) == 2 else set())
        if found & self._softeners:
            return self._soften
        return self._factor if found & self._intensifiers else 1.0

    def _cue_scores(self, words: list[str]) -> tuple[list[float], list[float]]:
        """The complaint (negative) and praise (positive) values of the message's cues."""
        complaints: list[float] = []
        praise: list[float] = []
        claimed: set[int] = set()  # words that are part of a cue or negate one
        # "X ولی Y": what comes after "but" is the customer's point; what came before counts less.
        turn = max((i for i, w in enumerate(words) if w in self._contrast), default=-1)
        for start, end, cue in self._matches(words):
            claimed.update(range(start, end))
            if self._in_if_clause(words, start):
                continue
            negation = self._negation(words, start, end)
            negated = negation is not None
            if negation is not None:
                claimed.add(negation)
            value = cue.value * self._strength(words, start) * (self._before_turn if start < turn else 1.0)
            if cue.kind == "negative" and negated:
                praise.append(-0.5 * value)  # "بد نبود" (not bad) is mildly good, as in TextBlob
            elif cue.kind == "negative" or (cue.kind == "unmet" and negated):
                # Only anger and accusations (-0.9 or lower as written) escalate one message.
                complaints.append(value if cue.value <= -0.9 else max(value, self._floor))
            elif cue.kind == "positive" and negated:
                complaints.append(max(-value, self._floor))
            elif cue.kind == "positive":
                praise.append(min(value, 1.0))
        if self._unclaimed and any(self._negative_verb(w) for i, w in enumerate(words) if i not in claimed):
            complaints.append(self._unclaimed)  # "نوشابه نداشت": something missing or not done
        return complaints, praise

    def score(self, text: str) -> Sentiment:
        text = canonical(text[:MAX_SCORED_CHARS])
        words = _WORD.findall(text)
        complaints, praise = self._cue_scores(words)
        if self._emoji:
            for match in self._emoji_chars.finditer(text):
                value = self._emoji[match.group()]
                (complaints if value < 0 else praise).append(value)
        cues = len(complaints) + len(praise)
        if not cues:
            return Sentiment(polarity=0.0, subjectivity=0.0)
        subjectivity = min(1.0, 0.5 + 0.1 * cues)
        # Praise adds up like independent evidence ("گرم بود، خوشمزه، ممنون" is more than each).
        best_praise = 1.0 - math.prod(1.0 - p for p in praise)
        if not complaints:
            return Sentiment(polarity=min(1.0, best_praise), subjectivity=subjectivity)
        worst = min(complaints)
        if worst > self._floor and (len(complaints) > 1 or any(mark in text for mark in self._marks)):
            worst = max(worst * self._factor, self._floor)  # repeated or shouted, a complaint grows
        polarity = max(-1.0, worst) + self._praise_weight * best_praise
        return Sentiment(polarity=max(-1.0, min(1.0, polarity)), subjectivity=subjectivity)
