"""Questions the bot did not understand, grouped so a manager sees which FAQ to add next.

Grouping is deliberately simple and explainable: a question's key is its set of content words
(lower case, punctuation and filler words removed, sorted); keys whose word sets overlap by at
least 60% (Jaccard) join the larger group. "Do you sell gift wrapping?" and "gift wrapping, do
you sell it" land together; the most frequent wording names the group.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

MERGE_AT_OVERLAP = 0.6
EXAMPLES_PER_GROUP = 3
FILLER_WORDS = frozenset(
    "a an the i im i'm me my we our you your it its is are was were be been am do does did can could "
    "would will shall should please pls hi hello hey there thanks thank to of for in on at and or "
    "with about any some this that what how why when where which who".split()
)


@dataclass(frozen=True)
class FallbackGroup:
    key: str  # the sorted content words of the group's first (most frequent) wording
    example: str  # the most frequent wording, as typed
    variants: tuple[str, ...]  # other wordings seen (a few)
    count: int  # messages
    conversation_ids: tuple[int, ...]
    drill: str


def words(text: str) -> frozenset[str]:
    tokens = re.findall(r"[\w']+", text.lower())
    content = {t.strip("'") for t in tokens} - FILLER_WORDS - {""}
    # A question of filler words only ("what?") is still a question: keep its words.
    return frozenset(content or (t.strip("'") for t in tokens if t.strip("'")))


def _overlap(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


def group_fallbacks(messages: Iterable[tuple[int, str]]) -> list[FallbackGroup]:
    """Group (conversation id, text) pairs; biggest groups first."""
    by_key: dict[frozenset[str], list[tuple[int, str]]] = {}
    for conversation_id, text in messages:
        text = " ".join(text.split())
        if not text:
            continue
        by_key.setdefault(words(text), []).append((conversation_id, text))
    # Largest exact groups first, so a near-duplicate joins the common wording, not a rare one.
    ordered = sorted(by_key.items(), key=lambda item: (-len(item[1]), sorted(item[0])))
    merged: list[tuple[frozenset[str], list[tuple[int, str]]]] = []
    for key, rows in ordered:
        for group_key, group_rows in merged:
            if _overlap(key, group_key) >= MERGE_AT_OVERLAP:
                group_rows.extend(rows)
                break
        else:
            merged.append((key, list(rows)))
    groups = []
    for key, rows in sorted(merged, key=lambda item: (-len(item[1]), sorted(item[0]))):
        wordings = [text for text, _ in Counter(t for _, t in rows).most_common()]
        drill_key = "fallback:" + " ".join(sorted(key))
        groups.append(
            FallbackGroup(
                key=" ".join(sorted(key)),
                example=wordings[0],
                variants=tuple(wordings[1 : 1 + EXAMPLES_PER_GROUP]),
                count=len(rows),
                conversation_ids=tuple(sorted({cid for cid, _ in rows})),
                drill=drill_key,
            )
        )
    return groups
