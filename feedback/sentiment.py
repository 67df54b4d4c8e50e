"""Sentiment scoring behind a small interface, so another scorer can replace TextBlob.

TextBlob's PatternAnalyzer is the base. It is called through `_Pattern`, a port of the same
algorithm (textblob/_text.py, MIT licence) that gives identical numbers at a fraction of the cost:
TextBlob builds a namedtuple class per call, reaches its lexicon through a lazy-loading dict on
every word, and tokenises with a regex per contraction. `CustomerServiceScorer` adds a YAML lexicon
of customer-service language on top (complaints without sentiment words, negation, intensifiers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml

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


class _Pattern:
    """TextBlob's PatternAnalyzer for plain strings, same tokens and same arithmetic, minus overhead.

    tests/unit/test_sentiment.py checks it against TextBlob itself on varied text.
    """

    def __init__(self) -> None:
        from textblob import _text
        from textblob.en import sentiment as lexicon

        self._t = _text
        if dict.__len__(lexicon) == 0:
            lexicon.load()
        # Strings are scored without part-of-speech tags, so only the untagged entry matters.
        self._words = {w: tuple(tags[None]) for w, tags in dict.items(lexicon)}
        self._modifiers = frozenset(w for w, tags in dict.items(lexicon) if any(m in tags for m in lexicon.modifiers))
        self._labels = dict(lexicon.labeler)
        self._negations = frozenset(lexicon.negations)
        self._emoticons: dict[str, float] = {}
        for (_, value), faces in _text.EMOTICONS.items():  # first listed mood wins, as in TextBlob
            for face in faces:
                self._emoticons.setdefault(face.lower(), value)
        self._replace = _text.replacements
        self._contraction = re.compile("|".join(re.escape(k) for k in self._replace))
        self._lead = frozenset(_text.PUNCTUATION.replace(".", ""))
        self._trail = self._lead | {"."}
        self._linebreak = re.compile(r"\n{2,}")
        self._space = re.compile(r"\s+")

    def tokens(self, string: str) -> list[str]:
        """textblob._text.find_tokens, flattened (the sentiment scorer joins the sentences anyway)."""
        return self._sentence_words(self._split_punctuation(string))

    def _split_punctuation(self, string: str) -> list[str]:
        """The words, with punctuation split off except inside abbreviations and contractions."""
        t_ = self._t
        # The contractions never overlap, so one pass equals TextBlob's one re.sub per contraction.
        if "'" in string:
            string = self._contraction.sub(r" \g<0>", string)
        string = (
            string.replace("“", " “ ")
            .replace("”", " ” ")
            .replace("‘", " ‘ ")
            .replace("’", " ’ ")
            .replace("'", " ' ")
            .replace('"', ' " ')
        )
        string = string.replace("\r\n", "\n")
        string = self._linebreak.sub(f" {t_.EOS} ", string)
        string = self._space.sub(" ", string)
        replace, lead, trail = self._replace, self._lead, self._trail
        punctuation = tuple(t_.PUNCTUATION.replace(".", ""))
        tokens: list[str] = []
        append = tokens.append
        for t in string.split():
            if t in replace or (t[0] not in lead and t[-1] not in trail):
                append(t)  # the common case: a bare word
                continue
            tail = []
            while t.startswith(punctuation) and t not in replace:
                tokens.append(t[0])
                t = t[1:]
            while t.endswith(punctuation + (".",)) and t not in replace:
                if t.endswith(punctuation):
                    tail.append(t[-1])
                    t = t[:-1]
                if t.endswith("..."):
                    tail.append("...")
                    t = t[:-3].rstrip(".")
                if t.endswith("."):
                    if (
                        t in t_.ABBREVIATIONS
                        or t_.RE_ABBR1.match(t) is not None
                        or t_.RE_ABBR2.match(t) is not None
                        or t_.RE_ABBR3.match(t) is not None
                    ):
                        break
                    tail.append(t[-1])
                    t = t[:-1]
            if t != "":
                tokens.append(t)
            tokens.extend(reversed(tail))
        return tokens

    def _sentence_words(self, tokens: list[str]) -> list[str]:
        """The tokens again, with sarcasm marks and emoticons joined up sentence by sentence."""
        t_ = self._t
        # Sentence splitting, kept because the emoticon regex below anchors at sentence ends.
        eos, ends = t_.EOS, ("...", ".", "!", "?", t_.EOS)
        closers = ("'", '"', "”", "’", "...", ".", "!", "?", ")", t_.EOS)
        sentences: list[list[str]] = [[]]
        i = j = 0
        n = len(tokens)
        while j < n:
            if tokens[j] in ends:
                while j < n and tokens[j] in closers:
                    if tokens[j] in ("'", '"') and sentences[-1].count(tokens[j]) % 2 == 0:
                        break  # balanced quotes
                    j += 1
                sentences[-1].extend(t for t in tokens[i:j] if t != eos)
                sentences.append([])
                i = j
            j += 1
        sentences[-1].extend(tokens[i:j])
        out: list[str] = []
        for sentence in sentences:
            if not sentence:
                continue
            s = " ".join(sentence)
            if "(" in s:
                s = t_.RE_SARCASM.sub("(!)", s)
            s = t_.RE_EMOTICONS.sub(_join_emoticon, s)
            out.extend(s.split())
        return out

    def assessments(self, words: list[str]) -> list[tuple[list[str], float, float]]:
        """(words, polarity, subjectivity) per assessed chunk: textblob Sentiment.assessments."""
        lex, modifiers, negations, emoticons = self._words, self._modifiers, self._negations, self._emoticons
        punctuation = self._t.PUNCTUATION
        a: list[list] = []  # [words, p, s, i, n]
        m = None  # preceding modifier ("very good")
        n = None  # preceding negation ("not good")
        for w in words:
            psi = lex.get(w)
            if psi is not None:
                p, s, i = psi
                if m is None:
                    a.append([[w], p, s, i, 1])
                else:
                    last = a[-1]
                    last[0].append(w)
                    last[1] = max(-1.0, min(p * last[3], +1.0))
                    last[2] = max(-1.0, min(s * last[3], +1.0))
                    last[3] = i
                if n is not None:
                    last = a[-1]
                    last[0].insert(0, n)
                    last[3] = 1.0 / last[3]
                    last[4] = -1
                m = w if w in modifiers else None
                n = w if w in negations else None
            else:
                if w in negations:
                    n = w
                elif n and len(w.strip("'")) > 1:
                    n = None
                if n is not None and m is not None and m.endswith("ly"):
                    a[-1][0].append(n)
                    a[-1][4] = -1
                    n = None
                elif m and len(w) > 2:
                    m = None
                if w == "!" and a:
                    a[-1][0].append("!")
                    a[-1][1] = max(-1.0, min(a[-1][1] * 1.25, +1.0))
                if w == "(!)":
                    a.append([[w], 0.0, 1.0, 1.0, 1])
                if w.isalpha() is False and len(w) <= 5 and w not in punctuation:
                    value = emoticons.get(w)
                    if value is not None:
                        a.append([[w], value, 1.0, 1.0, 1])
        return [(c[0], c[1] * -0.5 if c[4] < 0 else c[1], c[2]) for c in a]

    def words(self, text: str) -> list[str]:
        return [w.lower() for w in self.tokens(str(text))]


def _join_emoticon(match: re.Match) -> str:
    return match.group(1).replace(" ", "") + match.group(2)


def _mean(values: list[float]) -> float:
    return sum(values) / float(len(values) or 1)


_pattern: _Pattern | None = None


def _shared_pattern() -> _Pattern:
    global _pattern
    if _pattern is None:
        _pattern = _Pattern()
    return _pattern


class TextBlobScorer:
    """TextBlob's pattern-based lexicon scorer (no corpora download needed)."""

    def __init__(self) -> None:
        self._pattern = _shared_pattern()

    def score(self, text: str) -> Sentiment:
        a = self._pattern.assessments(self._pattern.words(text[:MAX_SCORED_CHARS]))
        return Sentiment(polarity=float(_mean([p for _, p, _ in a])), subjectivity=float(_mean([s for _, _, s in a])))


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
        self._base = _shared_pattern()
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
        base, subjectivity = _mean(polarities), _mean(subjectivities)
        if complaint < 0.0:
            if any(mark in text for mark in self._intensifier_marks) or next(self._intensifier_words.find(words), None):
                complaint = max(-1.0, complaint * self._factor)
            polarity = -(1.0 - (1.0 + min(base, 0.0)) * (1.0 + complaint))
            return Sentiment(polarity=max(-1.0, polarity), subjectivity=max(subjectivity, 0.5))
        if praise > 0.0 and base >= 0.0:
            return Sentiment(polarity=max(base, praise), subjectivity=max(subjectivity, 0.5))
        return Sentiment(polarity=base, subjectivity=subjectivity)


def rolling_score(previous: float | None, polarity: float, weight: float = ROLLING_WEIGHT) -> float:
    """Fold one message's polarity into the conversation's rolling score."""
    if previous is None:
        return polarity
    return (1 - weight) * previous + weight * polarity
