"""Which survey to ask next, and how to read an answer: the rules in content/surveys.yml."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import yaml

from feedback.language import in_language, normalise_persian
from feedback.surveys.records import KINDS
from feedback.surveys.scores import CES_VALUES, CSAT_RANGE, NPS_RANGE, parse_ces, parse_number

SKIPPED = "skipped"
# The survey form gave up after re-asking: nothing is recorded.
UNANSWERED = "unanswered"
TRIGGERS = ("faq_helpful", "recovery", "handoff_resolved", "goodbye")


@dataclass(frozen=True)
class SurveyContent:
    questions: dict[str, str]
    reasks: dict[str, str]
    ces_answers: dict[str, str]  # answer key -> button title, very easy first
    comment_for: frozenset[str]
    comment_question: str
    skip_button: str
    thanks: str
    thanks_with_comment: str
    already_answered: str
    skipped: str
    follow_up: str
    skip_words: tuple[str, ...]
    max_reasks: int
    after: dict[str, tuple[str, ...]]
    max_per_conversation: int
    order_topics: frozenset[str]
    nps_window: timedelta


def load_content(path: Path, language: str | None = None) -> SurveyContent:
    data = in_language(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, language)
    surveys = data.get("surveys") or {}
    missing = [kind for kind in KINDS if "question" not in (surveys.get(kind) or {})]
    if missing:
        raise ValueError(f"{path.name}: surveys needs a question for {', '.join(missing)}")
    ces_answers = {str(k): str(v) for k, v in (surveys["ces"].get("answers") or {}).items()}
    if set(ces_answers) != set(CES_VALUES):
        raise ValueError(f"{path.name}: surveys.ces.answers must name exactly {', '.join(CES_VALUES)}")
    after = {}
    for trigger, kinds in (data.get("after") or {}).items():
        if trigger not in TRIGGERS:
            raise ValueError(f"{path.name}: after.{trigger}: unknown moment (one of {', '.join(TRIGGERS)})")
        unknown = [k for k in kinds or () if k not in KINDS]
        if unknown:
            raise ValueError(f"{path.name}: after.{trigger}: unknown survey {unknown[0]!r}")
        after[trigger] = tuple(kinds or ())
    return SurveyContent(
        questions={kind: str(surveys[kind]["question"]) for kind in KINDS},
        reasks={kind: str(surveys[kind].get("reask") or surveys[kind]["question"]) for kind in KINDS},
        ces_answers={key: ces_answers[key] for key in CES_VALUES},
        comment_for=frozenset(kind for kind in KINDS if surveys[kind].get("comment")),
        comment_question=str(data.get("comment_question", "What is the main reason for your score?")),
        skip_button=str(data.get("skip_button", "Skip")),
        thanks=str(data.get("thanks", "Thank you for your feedback!")),
        thanks_with_comment=str(data.get("thanks_with_comment", "Thank you!")),
        already_answered=str(data.get("already_answered", "Thanks, I already have your answer.")),
        skipped=str(data.get("skipped", "No problem.")),
        follow_up=str(data.get("follow_up", "I'm sorry we didn't get this right for you.")),
        skip_words=tuple(normalise_persian(str(w)).lower() for w in data.get("skip_words") or ("skip",)),
        max_reasks=int(data.get("max_reasks", 2)),
        after=after,
        max_per_conversation=int(data.get("max_per_conversation", 2)),
        order_topics=frozenset(data.get("order_topics") or ()),
        nps_window=timedelta(days=int(data.get("nps_window_days", 90))),
    )


def next_survey(
    content: SurveyContent,
    trigger: str | None,
    *,
    asked: Iterable[str],
    order_related: bool,
    nps_allowed: bool,
) -> str | None:
    """The next survey for this moment, or None: not asked yet in this conversation, within the
    per-conversation limit, CSAT only when order-related, NPS only outside the fatigue window."""
    asked = list(asked)
    if trigger not in content.after or len(asked) >= content.max_per_conversation:
        return None
    for kind in content.after[trigger]:
        if kind in asked:
            continue
        if kind == "csat" and not order_related:
            continue
        if kind == "nps" and not nps_allowed:
            continue
        return kind
    return None


Answer = int | str


def is_skip(content: SurveyContent, text: str) -> bool:
    cleaned = " ".join(normalise_persian(text).lower().replace("’", "'").strip(" .!?").split())
    return cleaned in content.skip_words


def parse_answer(kind: str, text: str) -> Answer | None:
    """A typed or tapped answer: NPS/CSAT an int, CES a scale key; None if it isn't one."""
    if kind == "ces":
        return parse_ces(text)
    return parse_number(text, NPS_RANGE if kind == "nps" else CSAT_RANGE)


def button_value(kind: str, value: Answer) -> str:
    """A survey button's entity value: the kind travels with it, so a late tap finds its survey."""
    return f"{kind}:{value}"


def split_button_value(value: str | None) -> tuple[str | None, str | None]:
    if not value or ":" not in str(value):
        return None, None
    kind, _, answer = str(value).partition(":")
    return (kind, answer) if kind in KINDS else (None, None)


def choices(content: SurveyContent, kind: str) -> list[tuple[str, str]]:
    """(title, button value) for each answer of a survey question, then Skip."""
    if kind == "ces":
        answers: list[tuple[str, Answer]] = [(title, key) for key, title in content.ces_answers.items()]
    else:
        answers = [(str(n), n) for n in (NPS_RANGE if kind == "nps" else CSAT_RANGE)]
    answers.append((content.skip_button, SKIPPED))
    return [(title, button_value(kind, value)) for title, value in answers]
