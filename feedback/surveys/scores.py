"""Survey scales and the arithmetic of NPS, CES and CSAT (the formulas reports print).

- NPS: 0-10; detractors 0-6, passives 7-8, promoters 9-10; NPS = % promoters - % detractors.
- CES: very easy +2, easy +1, neutral 0, difficult -1, very difficult -2; CES = mean value.
- CSAT: 1-7; CSAT = mean score, and the share of satisfied answers (6 or 7).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from feedback.language import normalise_persian

NPS_RANGE = range(0, 11)
CSAT_RANGE = range(1, 8)
CSAT_SATISFIED = (6, 7)
CES_VALUES = {"very_easy": 2, "easy": 1, "neutral": 0, "difficult": -1, "very_difficult": -2}

NPS_FORMULA = "NPS = % promoters (9-10) - % detractors (0-6), from -100 to +100"
CES_FORMULA = "CES = mean of answers scored very easy +2, easy +1, neutral 0, difficult -1, very difficult -2"
CSAT_FORMULA = "CSAT = mean score on 1-7; satisfied = share of answers 6 or 7"

_NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    # Persian ("نه", nine, is also "no": it counts only as "نه از ده", nine out of ten).
    "صفر": 0,
    "یک": 1,
    "دو": 2,
    "سه": 3,
    "چهار": 4,
    "پنج": 5,
    "شش": 6,
    "شیش": 6,
    "هفت": 7,
    "هشت": 8,
    "ده": 10,
}
_NINE_FA = "نه"
# "out of ten / seven" after a score: "۹ از ۱۰", "نه از ده".
_OUT_OF = re.compile(r"(/|\bاز\s*)(10|7|ده|هفت)\b")
_CES_WORDS = {
    "very easy": "very_easy",
    "super easy": "very_easy",
    "extremely easy": "very_easy",
    "easy": "easy",
    "neutral": "neutral",
    "ok": "neutral",
    "okay": "neutral",
    "so so": "neutral",
    "difficult": "difficult",
    "hard": "difficult",
    "very difficult": "very_difficult",
    "very hard": "very_difficult",
    "extremely difficult": "very_difficult",
    # Persian, formal and colloquial (read after normalise_persian: no ZWNJ, Persian letters).
    "خیلی آسان": "very_easy",
    "خیلی اسان": "very_easy",
    "خیلی آسون": "very_easy",
    "خیلی راحت": "very_easy",
    "آسان": "easy",
    "اسان": "easy",
    "آسون": "easy",
    "راحت": "easy",
    "معمولی": "neutral",
    "متوسط": "neutral",
    "بد نبود": "neutral",
    "سخت": "difficult",
    "دشوار": "difficult",
    "خیلی سخت": "very_difficult",
    "خیلی دشوار": "very_difficult",
}


def nps_category(score: int) -> str:
    if score not in NPS_RANGE:
        raise ValueError(f"NPS score must be 0-10, got {score}")
    if score <= 6:
        return "detractor"
    return "passive" if score <= 8 else "promoter"


@dataclass(frozen=True)
class NpsSummary:
    promoters: int
    passives: int
    detractors: int

    @property
    def responses(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def score(self) -> float | None:
        """% promoters - % detractors, or None without answers."""
        if not self.responses:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.responses


def summarise_nps(scores: Iterable[int]) -> NpsSummary:
    counts = Counter(nps_category(s) for s in scores)
    return NpsSummary(counts["promoter"], counts["passive"], counts["detractor"])


def ces_mean(answers: Iterable[str]) -> float | None:
    values = [CES_VALUES[a] for a in answers]
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class CsatSummary:
    responses: int
    mean: float | None
    satisfied_share: float | None  # 0..1


def summarise_csat(scores: Iterable[int]) -> CsatSummary:
    values = list(scores)
    for value in values:
        if value not in CSAT_RANGE:
            raise ValueError(f"CSAT score must be 1-7, got {value}")
    if not values:
        return CsatSummary(0, None, None)
    satisfied = sum(1 for v in values if v in CSAT_SATISFIED)
    return CsatSummary(len(values), sum(values) / len(values), satisfied / len(values))


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9\u0600-\u06ff ]+", " ", normalise_persian(text).lower()).strip()


def parse_number(text: str, allowed: range) -> int | None:
    """A typed score: "9", "9/10", "nine", "I'd say 8", "۹", "نه از ده". None if absent, ambiguous
    or out of range."""
    text = normalise_persian(text)
    out_of = _OUT_OF.search(text) is not None
    words = _normalise(_OUT_OF.sub(" ", text)).split()
    found = {int(w) for w in words if w.isdigit()} | {_NUMBER_WORDS[w] for w in words if w in _NUMBER_WORDS}
    if out_of and _NINE_FA in words:
        found.add(9)
    if len(found) != 1:
        return None
    value = found.pop()
    return value if value in allowed else None


def parse_ces(text: str) -> str | None:
    """A typed CES answer ("very easy", "it was hard") as a scale key, or None."""
    cleaned = f" {_normalise(text.replace('_', ' '))} "
    for phrase in sorted(_CES_WORDS, key=len, reverse=True):  # "very easy" before "easy"
        if f" {phrase} " in cleaned:
            return _CES_WORDS[phrase]
    return None
