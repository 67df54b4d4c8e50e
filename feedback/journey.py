"""The journey map and the feedback themes for the dashboard (content/journey.yml).

Formulas (each stage; the period's conversations, of the chosen channel):
- conversations: conversations started in the period that touch the stage (an FAQ topic answered,
  a complaint category, or an escalation reason of the stage);
- negative share: of those, the share whose rolling customer sentiment is below zero;
- mean CES: mean of the answered CES scores (-2..+2) in those conversations;
- escalations: handoff requests in those conversations; complaints: complaint cases of the stage's
  categories in the period's conversations; compensation: issued or redeemed compensation of the
  stage's categories, in cents;
- trend: conversations against the previous period of the same length.
Themes: each NPS reason, survey comment and complaint description of the period's conversations,
counted by group: promoters (9-10), passives (7-8), detractors (0-6) for NPS reasons; "other
comments" for CES/CSAT comments; "complaints" for complaint descriptions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Compensation, Conversation, HandoffRequest, Message, RecoveryCase, SurveyResponse
from feedback.metrics.period import Filters
from feedback.themes import OTHER, ThemeClassifier

GROUPS = ("promoters", "passives", "detractors", "other comments", "complaints")
PAID = ("issued", "redeemed")


@dataclass(frozen=True)
class Stage:
    key: str
    name: str
    faq_topics: frozenset[str]
    categories: frozenset[str]
    reasons: frozenset[str]


@dataclass(frozen=True)
class JourneyContent:
    stages: tuple[Stage, ...]
    theme_names: dict[str, str]  # theme key -> name, in the YAML's order
    classifier: ThemeClassifier


def load_content(path: Path) -> JourneyContent:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    stages = tuple(
        Stage(
            key=str(s["key"]),
            name=str(s["name"]),
            faq_topics=frozenset(map(str, s.get("faq_topics") or ())),
            categories=frozenset(map(str, s.get("complaint_categories") or ())),
            reasons=frozenset(map(str, s.get("escalation_reasons") or ())),
        )
        for s in data["stages"]
    )
    if len({s.key for s in stages}) != len(stages):
        raise ValueError("journey.yml: stage keys must be unique")
    themes = data["themes"]
    examples = {str(k): [str(p) for phrases in v["examples"].values() for p in phrases] for k, v in themes.items()}
    return JourneyContent(
        stages=stages,
        theme_names={str(k): str(v["name"]) for k, v in themes.items()},
        classifier=ThemeClassifier(examples, float(data.get("min_confidence", 0.3))),
    )


@dataclass(frozen=True)
class StageRow:
    key: str
    name: str
    conversations: int
    negative_share: float | None
    mean_ces: float | None
    escalations: int
    complaints: int
    compensation_cents: int
    previous_conversations: int


@dataclass(frozen=True)
class Journey:
    stages: tuple[StageRow, ...]
    # theme key -> group -> count; themes in content order then "other"
    themes: dict[str, dict[str, int]]
    theme_names: dict[str, str]
    drilldown: dict[str, tuple[int, ...]]  # "journey:<stage>" and "theme:<theme>" -> conversation ids


def _conversations(session: Session, filters: Filters) -> dict[int, float | None]:
    query = select(Conversation.id, Conversation.sentiment_rolling).where(
        Conversation.started_at >= filters.since, Conversation.started_at < filters.until
    )
    if filters.channel:
        query = query.where(Conversation.channel == filters.channel)
    return dict(session.execute(query).all())


def _touches(session: Session, ids: list[int], stages: tuple[Stage, ...]) -> dict[str, set[int]]:
    """Stage key -> the conversations (of `ids`) that touch it."""
    touched: dict[str, set[int]] = {s.key: set() for s in stages}
    marks: list[tuple[int, str, str]] = []  # (conversation, kind, value)
    for cid, intent in session.execute(
        select(Message.conversation_id, Message.intent).where(
            Message.conversation_id.in_(ids), Message.intent.like("faq/%")
        )
    ):
        marks.append((cid, "faq", intent.split("/", 1)[1]))
    for cid, category in session.execute(
        select(RecoveryCase.conversation_id, RecoveryCase.category).where(RecoveryCase.conversation_id.in_(ids))
    ):
        marks.append((cid, "category", category))
    for cid, reason in session.execute(
        select(HandoffRequest.conversation_id, HandoffRequest.reason).where(HandoffRequest.conversation_id.in_(ids))
    ):
        marks.append((cid, "reason", reason))
    for stage in stages:
        field = {"faq": stage.faq_topics, "category": stage.categories, "reason": stage.reasons}
        touched[stage.key] = {cid for cid, kind, value in marks if value in field[kind]}
    return touched


def _stage_rows(session: Session, filters: Filters, content: JourneyContent) -> tuple[list[StageRow], dict]:
    conversations = _conversations(session, filters)
    ids = list(conversations)
    touched = _touches(session, ids, content.stages)
    span = filters.until - filters.since
    previous = Filters(since=filters.since - span, until=filters.since, channel=filters.channel)
    before = _touches(session, list(_conversations(session, previous)), content.stages)
    ces = defaultdict(list)
    for cid, score in session.execute(
        select(SurveyResponse.conversation_id, SurveyResponse.score).where(
            SurveyResponse.conversation_id.in_(ids), SurveyResponse.kind == "ces", SurveyResponse.status == "answered"
        )
    ):
        ces[cid].append(score)
    handoffs = defaultdict(int)
    for (cid,) in session.execute(
        select(HandoffRequest.conversation_id).where(HandoffRequest.conversation_id.in_(ids))
    ):
        handoffs[cid] += 1
    cases = (
        session.execute(
            select(RecoveryCase.category).where(
                RecoveryCase.conversation_id.in_(ids), RecoveryCase.source == "complaint"
            )
        )
        .scalars()
        .all()
    )
    paid = session.execute(
        select(Compensation.category, Compensation.amount_cents).where(
            Compensation.conversation_id.in_(ids), Compensation.status.in_(PAID)
        )
    ).all()
    rows = []
    for stage in content.stages:
        mine = touched[stage.key]
        scores = [s for cid in mine for s in ces[cid]]
        negative = [cid for cid in mine if (conversations[cid] or 0) < 0]
        rows.append(
            StageRow(
                key=stage.key,
                name=stage.name,
                conversations=len(mine),
                negative_share=len(negative) / len(mine) if mine else None,
                mean_ces=sum(scores) / len(scores) if scores else None,
                escalations=sum(handoffs[cid] for cid in mine),
                complaints=sum(1 for c in cases if c in stage.categories),
                compensation_cents=sum(a or 0 for c, a in paid if c in stage.categories),
                previous_conversations=len(before[stage.key]),
            )
        )
    return rows, {f"journey:{key}": tuple(sorted(cids)) for key, cids in touched.items()}


def _feedback_texts(session: Session, ids: list[int]) -> list[tuple[int, str, str]]:
    """(conversation, group, text) of every comment and complaint description."""
    texts = []
    for cid, kind, score, comment in session.execute(
        select(SurveyResponse.conversation_id, SurveyResponse.kind, SurveyResponse.score, SurveyResponse.comment).where(
            SurveyResponse.conversation_id.in_(ids), SurveyResponse.comment.is_not(None), SurveyResponse.comment != ""
        )
    ):
        if kind == "nps" and score is not None:
            group = "promoters" if score >= 9 else "passives" if score >= 7 else "detractors"
        else:
            group = "other comments"
        texts.append((cid, group, comment))
    for cid, description in session.execute(
        select(RecoveryCase.conversation_id, RecoveryCase.description).where(
            RecoveryCase.conversation_id.in_(ids), RecoveryCase.description.is_not(None), RecoveryCase.description != ""
        )
    ):
        texts.append((cid, "complaints", description))
    return texts


def build_journey(session: Session, filters: Filters, content: JourneyContent) -> Journey:
    rows, drilldown = _stage_rows(session, filters, content)
    texts = _feedback_texts(session, list(_conversations(session, filters)))
    themes = content.classifier.classify([t for _, _, t in texts])
    counts = {theme: dict.fromkeys(GROUPS, 0) for theme in [*content.theme_names, OTHER]}
    drill: dict[str, set[int]] = defaultdict(set)
    for (cid, group, _), theme in zip(texts, themes, strict=True):
        counts[theme][group] += 1
        drill[f"theme:{theme}"].add(cid)
    drilldown.update({key: tuple(sorted(cids)) for key, cids in drill.items()})
    names = {**content.theme_names, OTHER: "Other"}
    return Journey(tuple(rows), counts, names, drilldown)
