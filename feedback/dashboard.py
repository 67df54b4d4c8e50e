"""The manager dashboard's numbers: the report's metrics over time, by channel, topic, reason,
category and handler, with the conversations behind every number (drill-down).

Everything is computed in Python from the rows of one period, with the same formulas as
feedback/reports.py (whose totals these must equal), so the page, the printable report and the
CSV exports cannot drift apart. A number's `drill` key names its conversations in
`Dashboard.drilldown`.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import (
    Compensation,
    Conversation,
    Direction,
    HandoffRequest,
    Message,
    RecoveryCase,
    RecoveryStatus,
    SurveyResponse,
)
from feedback.fallbacks import FallbackGroup, group_fallbacks
from feedback.reports import (
    COMPENSATION_FORMULA,
    RECOVERY_FORMULA,
    RECOVERY_GROUPS,
    RESPONSE_RATE_FORMULA,
    SENTIMENT_FORMULA,
    Report,
    recovery_effectiveness,
)
from feedback.surveys.scores import (
    CES_FORMULA,
    CES_VALUES,
    CSAT_FORMULA,
    CSAT_RANGE,
    NPS_FORMULA,
    NPS_RANGE,
    ces_mean,
    summarise_csat,
    summarise_nps,
)

KINDS = ("nps", "ces", "csat")
# The assistant read these as "not understood" (nlu_fallback) or "nothing I can answer" (out_of_scope).
FALLBACK_INTENTS = ("nlu_fallback", "out_of_scope")
# Up to this many days a chart has one point per day; longer periods get ISO weeks (from Monday).
DAILY_UP_TO_DAYS = 31
NO_TOPIC = "none"
TOPICS_OVER_TIME = 5  # the busiest topics get a line of their own

TOPIC_FORMULA = (
    "topic of a conversation = its complaint category (first complaint), else its first FAQ topic, "
    "else none; sentiment by topic = mean polarity of the customer messages of those conversations"
)
ESCALATION_FORMULA = (
    "time to claim = claimed_at - created_at of a handoff request; time to resolve = closed_at - created_at; "
    "medians in minutes over the requests that have them"
)
HANDLER_FORMULA = (
    "bot vs staff: surveys grouped by who handled the conversation when the survey was sent "
    "(survey_responses.handled_by: \"bot\" or a staff member)"
)
FALLBACK_FORMULA = (
    "not understood = customer messages read as nlu_fallback or out_of_scope and answered with a fallback reply "
    "(not answers a form accepted, like an order number); grouped by their words "
    "(lower case, no punctuation or filler words, sorted), near-duplicates (word overlap >= 60%) merged"
)
BUCKET_FORMULA = (
    f"time series: one point per day for periods up to {DAILY_UP_TO_DAYS} days, else per ISO week "
    "(Monday to Sunday, UTC); surveys count in the bucket they were offered in"
)
FORMULAS = (
    NPS_FORMULA, CES_FORMULA, CSAT_FORMULA, RESPONSE_RATE_FORMULA, SENTIMENT_FORMULA, TOPIC_FORMULA,
    ESCALATION_FORMULA, COMPENSATION_FORMULA, RECOVERY_FORMULA, HANDLER_FORMULA, FALLBACK_FORMULA,
    BUCKET_FORMULA,
)


def aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes; they are stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Filters:
    since: datetime  # inclusive
    until: datetime  # exclusive
    channel: Optional[str] = None  # None: all channels

    def __post_init__(self) -> None:
        if aware(self.since) >= aware(self.until):
            raise ValueError("the period is empty: since must be before until")


@dataclass(frozen=True)
class Point:
    """One number on a chart: its label, value (None without data), how many rows it rests on,
    and the drill-down key of the conversations behind it."""

    label: str
    value: Optional[float]
    count: int
    drill: str


@dataclass(frozen=True)
class Totals:
    """The period's headline numbers: equal to feedback.reports.build_report for all channels."""

    nps: Optional[float]
    nps_promoters: int
    nps_passives: int
    nps_detractors: int
    ces: Optional[float]
    ces_distribution: dict[str, int]
    csat: Optional[float]
    csat_satisfied_share: Optional[float]
    offered: dict[str, int]
    answered: dict[str, int]
    response_rates: dict[str, Optional[float]]
    sentiment_mean: Optional[float]
    sentiment_negative_share: Optional[float]
    customer_messages: int
    escalations_by_reason: dict[str, int]
    compensations: int
    compensation_value_cents: int
    percent_coupons: int


@dataclass(frozen=True)
class TopicSentiment:
    topic: str  # "faq: order_status", "complaint: late_delivery" or "none"
    conversations: int
    messages: int
    mean: Optional[float]
    negative_share: Optional[float]
    drill: str


@dataclass(frozen=True)
class EscalationRow:
    reason: str
    count: int
    open: int
    claimed: int
    median_minutes_to_claim: Optional[float]
    resolved: int
    median_minutes_to_resolve: Optional[float]
    drill: str


@dataclass(frozen=True)
class CompensationRow:
    category: str
    count: int
    value_cents: int
    percent_coupons: int
    drill: str


@dataclass(frozen=True)
class HandlerRow:
    handled_by: str  # "bot", "staff" (everyone) or "staff: <name>"
    offered: dict[str, int]
    answered: dict[str, int]
    response_rates: dict[str, Optional[float]]
    nps: Optional[float]
    ces: Optional[float]
    csat: Optional[float]
    drill: str


@dataclass(frozen=True)
class Dashboard:
    filters: Filters
    bucket: str  # "day" or "week"
    buckets: tuple[str, ...]  # bucket labels: the first day of each (YYYY-MM-DD)
    channels: tuple[str, ...]  # channels with conversations in the database (for the filter)
    totals: Totals
    scores: dict[str, tuple[Point, ...]]  # nps/ces/csat per bucket
    response_rates: dict[str, tuple[Point, ...]]  # per bucket
    distributions: dict[str, tuple[Point, ...]]  # nps 0-10, ces answers, csat 1-7
    sentiment_by_channel: dict[str, tuple[Point, ...]]  # mean polarity per bucket
    negative_share_by_channel: dict[str, tuple[Point, ...]]  # share of negative messages per bucket
    sentiment_by_topic: tuple[TopicSentiment, ...]
    sentiment_by_topic_series: dict[str, tuple[Point, ...]]  # mean polarity per bucket, the busiest topics
    escalations: tuple[EscalationRow, ...]
    claim_times_recorded: bool  # False until handoff requests have a claimed_at column (staff desk)
    compensation: tuple[CompensationRow, ...]
    recovery: dict[str, dict[str, Optional[float]]]  # feedback.reports.recovery_effectiveness
    recovery_drill: dict[str, str]
    handlers: tuple[HandlerRow, ...]
    fallbacks: tuple[FallbackGroup, ...]
    drilldown: dict[str, tuple[int, ...]] = field(repr=False)
    formulas: tuple[str, ...] = FORMULAS


# -- time buckets -----------------------------------------------------------------------------

def bucket_size(filters: Filters) -> str:
    return "day" if aware(filters.until) - aware(filters.since) <= timedelta(days=DAILY_UP_TO_DAYS) else "week"


def bucket_start(moment: datetime, size: str) -> date:
    day = aware(moment).astimezone(timezone.utc).date()
    return day if size == "day" else day - timedelta(days=day.weekday())


def bucket_labels(filters: Filters, size: str) -> tuple[str, ...]:
    first = bucket_start(filters.since, size)
    last = bucket_start(aware(filters.until) - timedelta(microseconds=1), size)
    step = timedelta(days=1 if size == "day" else 7)
    labels, current = [], first
    while current <= last:
        labels.append(current.isoformat())
        current += step
    return tuple(labels)


# -- loading the period's rows ------------------------------------------------------------------

@dataclass(frozen=True)
class _Survey:
    conversation_id: int
    customer_id: int
    kind: str
    status: str
    handled_by: str
    score: Optional[int]
    answer: Optional[str]
    offered_at: datetime
    answered_at: Optional[datetime]


def _in_period(column, filters: Filters):
    return (column >= filters.since) & (column < filters.until)


def _with_channel(query, filters: Filters, conversation_column):
    query = query.join(Conversation, Conversation.id == conversation_column)
    if filters.channel:
        query = query.where(Conversation.channel == filters.channel)
    return query


def load_surveys(session: Session, filters: Filters) -> list[SurveyResponse]:
    """Surveys offered in the period (the report's rule), of the chosen channel."""
    query = _with_channel(select(SurveyResponse), filters, SurveyResponse.conversation_id)
    return list(session.execute(
        query.where(_in_period(SurveyResponse.offered_at, filters)).order_by(SurveyResponse.id)
    ).scalars())


def load_customer_messages(session: Session, filters: Filters) -> list[tuple[int, str, float, datetime]]:
    """(conversation id, channel, polarity, time) of scored customer messages in the period."""
    query = _with_channel(
        select(Message.conversation_id, Conversation.channel, Message.polarity, Message.created_at),
        filters, Message.conversation_id,
    )
    return [tuple(row) for row in session.execute(
        query.where(
            Message.direction == Direction.CUSTOMER.value,
            Message.polarity.isnot(None),
            _in_period(Message.created_at, filters),
        ).order_by(Message.id)
    )]


def load_handoffs(session: Session, filters: Filters) -> list[HandoffRequest]:
    query = _with_channel(select(HandoffRequest), filters, HandoffRequest.conversation_id)
    return list(session.execute(
        query.where(_in_period(HandoffRequest.created_at, filters)).order_by(HandoffRequest.id)
    ).scalars())


def load_compensations(session: Session, filters: Filters) -> list[Compensation]:
    """Compensation issued, pending or redeemed in the period (declined offers are not counted)."""
    query = _with_channel(select(Compensation), filters, Compensation.conversation_id)
    return list(session.execute(
        query.where(_in_period(Compensation.created_at, filters), Compensation.status != "declined")
        .order_by(Compensation.id)
    ).scalars())


def conversation_topics(session: Session, conversation_ids: Iterable[int]) -> dict[int, str]:
    """Each conversation's topic: complaint category, else first FAQ topic, else "none"."""
    ids = sorted(set(conversation_ids))
    topics: dict[int, str] = {}
    for chunk in _chunks(ids):
        for conversation_id, category in session.execute(
            select(RecoveryCase.conversation_id, RecoveryCase.category)
            .where(RecoveryCase.conversation_id.in_(chunk), RecoveryCase.source == "complaint")
            .order_by(RecoveryCase.id)
        ):
            topics.setdefault(conversation_id, f"complaint: {category}")
        for conversation_id, intent in session.execute(
            select(Message.conversation_id, Message.intent)
            .where(
                Message.conversation_id.in_(chunk),
                Message.direction == Direction.CUSTOMER.value,
                Message.intent.isnot(None),
            )
            .order_by(Message.id)
        ):
            if intent.startswith("complain_"):
                topics.setdefault(conversation_id, f"complaint: {intent[len('complain_'):]}")
        for conversation_id, intent in session.execute(
            select(Message.conversation_id, Message.intent)
            .where(
                Message.conversation_id.in_(chunk),
                Message.direction == Direction.CUSTOMER.value,
                Message.intent.like("faq/%"),
            )
            .order_by(Message.id)
        ):
            topics.setdefault(conversation_id, f"faq: {intent.split('/', 1)[1]}")
    return {cid: topics.get(cid, NO_TOPIC) for cid in ids}


def _chunks(ids: list[int], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def channels_in_use(session: Session) -> tuple[str, ...]:
    return tuple(session.execute(select(Conversation.channel).distinct().order_by(Conversation.channel)).scalars())


def _optional_column(name: str):
    """A HandoffRequest column the staff desk adds (claimed_at); None while it doesn't exist."""
    return getattr(HandoffRequest, name, None)


# -- arithmetic ------------------------------------------------------------------------------

def _score(kind: str, surveys: list[SurveyResponse]) -> Optional[float]:
    answered = [s for s in surveys if s.kind == kind and s.status == "answered"]
    if kind == "nps":
        return summarise_nps(s.score for s in answered).score
    if kind == "ces":
        return ces_mean(s.answer for s in answered)
    return summarise_csat(s.score for s in answered).mean


def _rates(surveys: list[SurveyResponse]) -> tuple[dict[str, int], dict[str, int], dict[str, Optional[float]]]:
    offered = Counter(s.kind for s in surveys)
    answered = Counter(s.kind for s in surveys if s.status == "answered")
    rates = {k: (answered[k] / offered[k] if offered[k] else None) for k in KINDS}
    return {k: offered[k] for k in KINDS}, {k: answered[k] for k in KINDS}, rates


def _mean(values: list[float]) -> Optional[float]:
    return sum(values) / len(values) if values else None


def _minutes(start: Optional[datetime], end: Optional[datetime]) -> Optional[float]:
    if start is None or end is None:
        return None
    return (aware(end) - aware(start)).total_seconds() / 60


def _median(values: list[float]) -> Optional[float]:
    return statistics.median(values) if values else None


class _Drill:
    """Collects the conversation ids behind each number under a key."""

    def __init__(self) -> None:
        self.ids: dict[str, set[int]] = defaultdict(set)

    def add(self, key: str, conversation_ids: Iterable[int]) -> str:
        self.ids[key].update(conversation_ids)
        return key

    def frozen(self) -> dict[str, tuple[int, ...]]:
        return {key: tuple(sorted(ids)) for key, ids in self.ids.items()}


def _recovery_group(survey, first_complaint: dict[int, datetime], recovered: set[int]) -> Optional[str]:
    """The recovery group a survey counts in: the rule of feedback.reports.recovery_effectiveness
    (used here only to list the conversations behind its numbers)."""
    customer = survey.customer_id
    if customer not in first_complaint:
        return "no_complaint"
    if aware(survey.answered_at or survey.offered_at) < first_complaint[customer]:
        return None
    return "recovered" if customer in recovered else "complaint_not_recovered"


def _complaint_history(session: Session) -> tuple[dict[int, datetime], set[int]]:
    first_complaint: dict[int, datetime] = {}
    recovered: set[int] = set()
    for case in session.execute(select(RecoveryCase).where(RecoveryCase.source == "complaint")).scalars():
        at = aware(case.created_at)
        first_complaint[case.customer_id] = min(at, first_complaint.get(case.customer_id, at))
        if case.status == RecoveryStatus.RECOVERED.value:
            recovered.add(case.customer_id)
    return first_complaint, recovered


# -- the dashboard -----------------------------------------------------------------------------

def build_dashboard(session: Session, filters: Filters) -> Dashboard:
    size = bucket_size(filters)
    labels = bucket_labels(filters, size)
    drill = _Drill()
    surveys = load_surveys(session, filters)
    messages = load_customer_messages(session, filters)
    handoffs = load_handoffs(session, filters)
    compensations = load_compensations(session, filters)

    def label_of(moment: datetime) -> str:
        return bucket_start(moment, size).isoformat()

    # Surveys: totals, series, distributions.
    answered = [s for s in surveys if s.status == "answered"]
    by_kind = {k: [s for s in answered if s.kind == k] for k in KINDS}
    nps = summarise_nps(s.score for s in by_kind["nps"])
    csat = summarise_csat(s.score for s in by_kind["csat"])
    offered, answered_counts, rates = _rates(surveys)
    surveys_by_bucket: dict[str, list[SurveyResponse]] = defaultdict(list)
    for survey in surveys:
        surveys_by_bucket[label_of(survey.offered_at)].append(survey)
    scores, rate_series = {}, {}
    for kind in KINDS:
        points, rate_points = [], []
        for label in labels:
            in_bucket = [s for s in surveys_by_bucket[label] if s.kind == kind]
            done = [s for s in in_bucket if s.status == "answered"]
            points.append(Point(label, _score(kind, done), len(done),
                                drill.add(f"{kind}:{label}", (s.conversation_id for s in done))))
            rate_points.append(Point(label, (len(done) / len(in_bucket)) if in_bucket else None, len(in_bucket),
                                     drill.add(f"{kind}-offered:{label}", (s.conversation_id for s in in_bucket))))
        scores[kind], rate_series[kind] = tuple(points), tuple(rate_points)
    distributions = {
        "nps": tuple(
            Point(str(v), float(n), n, drill.add(f"nps-score:{v}", (s.conversation_id for s in by_kind["nps"] if s.score == v)))
            for v in NPS_RANGE for n in [sum(s.score == v for s in by_kind["nps"])]
        ),
        "ces": tuple(
            Point(a, float(n), n, drill.add(f"ces-answer:{a}", (s.conversation_id for s in by_kind["ces"] if s.answer == a)))
            for a in CES_VALUES for n in [sum(s.answer == a for s in by_kind["ces"])]
        ),
        "csat": tuple(
            Point(str(v), float(n), n, drill.add(f"csat-score:{v}", (s.conversation_id for s in by_kind["csat"] if s.score == v)))
            for v in CSAT_RANGE for n in [sum(s.score == v for s in by_kind["csat"])]
        ),
    }

    # Sentiment: by channel over time, and by topic.
    polarities = [p for _, _, p, _ in messages]
    by_channel_bucket: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
    for conversation_id, channel, polarity, at in messages:
        by_channel_bucket[(channel, label_of(at))].append((conversation_id, polarity))
    sentiment_by_channel, negative_by_channel = {}, {}
    for channel in sorted({c for c, _ in by_channel_bucket}):
        mean_points, negative_points = [], []
        for label in labels:
            rows = by_channel_bucket[(channel, label)]
            key = drill.add(f"sentiment:{channel}:{label}", (cid for cid, _ in rows))
            values = [p for _, p in rows]
            mean_points.append(Point(label, _mean(values), len(values), key))
            negative_points.append(Point(label, _mean([float(p < 0) for p in values]), len(values), key))
        sentiment_by_channel[channel] = tuple(mean_points)
        negative_by_channel[channel] = tuple(negative_points)
    topics = conversation_topics(session, (cid for cid, _, _, _ in messages))
    by_topic: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for conversation_id, _, polarity, _ in messages:
        by_topic[topics[conversation_id]].append((conversation_id, polarity))
    topic_series = {}
    for topic, rows in sorted(by_topic.items(), key=lambda item: (-len(item[1]), item[0]))[:TOPICS_OVER_TIME]:
        per_bucket: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for conversation_id, _, polarity, at in messages:
            if topics[conversation_id] == topic:
                per_bucket[label_of(at)].append((conversation_id, polarity))
        topic_series[topic] = tuple(
            Point(label, _mean([p for _, p in per_bucket[label]]), len(per_bucket[label]),
                  drill.add(f"topic:{topic}:{label}", (cid for cid, _ in per_bucket[label])))
            for label in labels
        )
    sentiment_by_topic = tuple(
        TopicSentiment(
            topic=topic,
            conversations=len({cid for cid, _ in rows}),
            messages=len(rows),
            mean=_mean([p for _, p in rows]),
            negative_share=_mean([float(p < 0) for _, p in rows]),
            drill=drill.add(f"topic:{topic}", (cid for cid, _ in rows)),
        )
        for topic, rows in sorted(by_topic.items(), key=lambda item: (-len(item[1]), item[0]))
    )

    # Escalations, with claim and resolve times when the desk records them.
    claimed_column = _optional_column("claimed_at")
    escalations = []
    for reason in sorted({h.reason for h in handoffs}):
        rows = [h for h in handoffs if h.reason == reason]
        claim = [m for h in rows if (m := _minutes(h.created_at, getattr(h, "claimed_at", None))) is not None]
        resolve = [m for h in rows if (m := _minutes(h.created_at, h.closed_at)) is not None]
        escalations.append(EscalationRow(
            reason=reason, count=len(rows), open=sum(h.closed_at is None for h in rows),
            claimed=len(claim), median_minutes_to_claim=_median(claim),
            resolved=len(resolve), median_minutes_to_resolve=_median(resolve),
            drill=drill.add(f"escalation:{reason}", (h.conversation_id for h in rows)),
        ))

    # Compensation by category.
    compensation = tuple(
        CompensationRow(
            category=category,
            count=len(rows),
            value_cents=sum(c.amount_cents or 0 for c in rows),
            percent_coupons=sum(c.percent is not None for c in rows),
            drill=drill.add(f"compensation:{category}", (c.conversation_id for c in rows)),
        )
        for category in sorted({c.category for c in compensations})
        for rows in [[c for c in compensations if c.category == category]]
    )

    # Service recovery: the report's numbers, and the conversations behind each group.
    recovery_surveys = by_kind["nps"] + by_kind["csat"]
    recovery = recovery_effectiveness(session, recovery_surveys)
    first_complaint, recovered = _complaint_history(session)
    recovery_drill = {}
    for group in RECOVERY_GROUPS:
        members = [s.conversation_id for s in recovery_surveys if _recovery_group(s, first_complaint, recovered) == group]
        recovery_drill[group] = drill.add(f"recovery:{group}", members)

    # Bot versus staff.
    def handler_row(name: str, rows: list[SurveyResponse]) -> HandlerRow:
        row_offered, row_answered, row_rates = _rates(rows)
        return HandlerRow(
            handled_by=name, offered=row_offered, answered=row_answered, response_rates=row_rates,
            nps=_score("nps", rows), ces=_score("ces", rows), csat=_score("csat", rows),
            drill=drill.add(f"handler:{name}", (s.conversation_id for s in rows)),
        )

    staff = [s for s in surveys if s.handled_by != "bot"]
    handlers = [handler_row("bot", [s for s in surveys if s.handled_by == "bot"]), handler_row("staff", staff)]
    handlers += [handler_row(f"staff: {name}", [s for s in staff if s.handled_by == name])
                 for name in sorted({s.handled_by for s in staff})]

    # What the bot did not understand.
    fallbacks = group_fallbacks(load_fallback_messages(session, filters))
    for group in fallbacks:
        drill.add(group.drill, group.conversation_ids)

    totals = Totals(
        nps=nps.score, nps_promoters=nps.promoters, nps_passives=nps.passives, nps_detractors=nps.detractors,
        ces=ces_mean(s.answer for s in by_kind["ces"]),
        ces_distribution=dict(Counter(s.answer for s in by_kind["ces"])),
        csat=csat.mean, csat_satisfied_share=csat.satisfied_share,
        offered=offered, answered=answered_counts, response_rates=rates,
        sentiment_mean=_mean(polarities),
        sentiment_negative_share=_mean([float(p < 0) for p in polarities]),
        customer_messages=len(polarities),
        escalations_by_reason=dict(Counter(h.reason for h in handoffs)),
        compensations=len(compensations),
        compensation_value_cents=sum(c.amount_cents or 0 for c in compensations),
        percent_coupons=sum(c.percent is not None for c in compensations),
    )
    drill.add("all-surveys", (s.conversation_id for s in surveys))
    return Dashboard(
        filters=filters, bucket=size, buckets=labels, channels=channels_in_use(session), totals=totals,
        scores=scores, response_rates=rate_series, distributions=distributions,
        sentiment_by_channel=sentiment_by_channel, negative_share_by_channel=negative_by_channel,
        sentiment_by_topic=sentiment_by_topic, sentiment_by_topic_series=topic_series, escalations=tuple(escalations),
        claim_times_recorded=claimed_column is not None, compensation=compensation,
        recovery=recovery, recovery_drill=recovery_drill, handlers=tuple(handlers),
        fallbacks=tuple(fallbacks), drilldown=drill.frozen(),
    )


# The bot's answers that mean "I did not understand": a message the assistant read as a fallback
# but that a form took as an answer (an order number, a typed score) was understood after all.
FALLBACK_RESPONSES = ("utter_default", "utter_did_you_mean", "utter_offer_human", "utter_out_of_scope")


@lru_cache(maxsize=4)
def fallback_reply_texts(domain_dir: Path) -> frozenset[str]:
    texts = set()
    for path in sorted(domain_dir.glob("*.yml")):
        responses = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {}
        for name in FALLBACK_RESPONSES:
            texts.update(r["text"].split("{", 1)[0] for r in responses.get(name) or () if r.get("text"))
    return frozenset(texts)


def _default_domain_dir() -> Path:
    from bot.app.settings import get_settings

    return get_settings().project_dir / "domain"


def not_understood(session: Session, candidates: list[tuple[int, int, str]],
                   domain_dir: Optional[Path] = None) -> list[tuple[int, int, str]]:
    """Of (message id, conversation id, text) read as fallbacks, those the bot answered with a
    fallback reply."""
    replies = fallback_reply_texts(domain_dir or _default_domain_dir())
    answered_as_fallback: set[int] = set()
    for chunk in _chunks([message_id for message_id, _, _ in candidates]):
        for reply_to, text in session.execute(
            select(Message.reply_to_id, Message.text).where(
                Message.reply_to_id.in_(chunk), Message.direction == Direction.BOT.value
            )
        ):
            if any(text.startswith(prefix) for prefix in replies):
                answered_as_fallback.add(reply_to)
    return [row for row in candidates if row[0] in answered_as_fallback]


def load_fallback_messages(session: Session, filters: Filters) -> list[tuple[int, str]]:
    """(conversation id, text) of customer messages the assistant did not understand."""
    query = _with_channel(select(Message.id, Message.conversation_id, Message.text), filters, Message.conversation_id)
    candidates = [tuple(row) for row in session.execute(
        query.where(
            Message.direction == Direction.CUSTOMER.value,
            Message.intent.in_(FALLBACK_INTENTS),
            _in_period(Message.created_at, filters),
        ).order_by(Message.id)
    )]
    return [(conversation_id, text) for _, conversation_id, text in not_understood(session, candidates)]


def as_report(board: Dashboard) -> Report:
    """The dashboard's totals as the report of feedback/reports.py (for all channels they are the
    same numbers build_report computes; with a channel filter, that channel's)."""
    t = board.totals
    return Report(
        since=board.filters.since.isoformat(), until=board.filters.until.isoformat(),
        nps=t.nps, nps_promoters=t.nps_promoters, nps_passives=t.nps_passives, nps_detractors=t.nps_detractors,
        ces=t.ces, ces_distribution=t.ces_distribution, csat=t.csat, csat_satisfied_share=t.csat_satisfied_share,
        response_rates=t.response_rates, sentiment_mean=t.sentiment_mean,
        sentiment_negative_share=t.sentiment_negative_share, customer_messages=t.customer_messages,
        escalations_by_reason=t.escalations_by_reason, compensations=t.compensations,
        compensation_value_cents=t.compensation_value_cents, percent_coupons=t.percent_coupons,
        recovery=board.recovery,
    )
