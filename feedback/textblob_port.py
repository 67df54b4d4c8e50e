"""A port of TextBlob's PatternAnalyzer (textblob/_text.py, MIT licence) for plain strings.

It gives identical numbers at a fraction of the cost: TextBlob builds a namedtuple class per call,
reaches its lexicon through a lazy-loading dict on every word, and tokenises with a regex per
contraction. feedback/sentiment.py scores with it.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from types import ModuleType
from typing import Any


def _pattern_modules() -> tuple[ModuleType, Any]:
    """textblob._text and TextBlob's English sentiment lexicon, without running textblob/__init__.py:
    it imports NLTK for TextBlob's other features (2.6 s of a cold start), which the port never uses."""
    if "textblob" in sys.modules:  # already imported in full (the tests compare with TextBlob)
        from textblob import _text
        from textblob.en import sentiment

        return _text, sentiment
    spec = importlib.util.find_spec("textblob")
    assert spec is not None, "textblob is not installed"
    before = set(sys.modules)
    sys.modules["textblob"] = importlib.util.module_from_spec(spec)  # the package, its __init__ not run
    try:
        _text = importlib.import_module("textblob._text")
        sentiment = importlib.import_module("textblob.en").sentiment
    finally:
        # Forget the partial package, so that a later `import textblob` gets the whole one.
        for name in set(sys.modules) - before:
            if name == "textblob" or name.startswith("textblob."):
                del sys.modules[name]
    return _text, sentiment


class PatternPort:
    """TextBlob's PatternAnalyzer for plain strings, same tokens and same arithmetic, minus overhead.

    tests/unit/test_sentiment.py checks it against TextBlob itself on varied text.
    """

    def __init__(self) -> None:
        _text, lexicon = _pattern_modules()
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


def mean(values: list[float]) -> float:
    """The average, 0 for no values (as TextBlob)."""
    return sum(values) / float(len(values) or 1)


_pattern: PatternPort | None = None


def shared_pattern() -> PatternPort:
    """One port per process: building it reads the whole lexicon."""
    global _pattern
    if _pattern is None:
        _pattern = PatternPort()
    return _pattern
