"""Service recovery rules: reading a complaint, its severity, the order number and an amount the
customer states, and the case record. The steps of a recovery (remedy, offer, accept, decline)
are in feedback/recovery_steps.py, the remedy itself in feedback/remedies.py.

The wording and thresholds come from content/recovery.yml; what is offered comes from the
compensation policy (feedback/compensation.py); a person is reached through the Handover port
(feedback/handover.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Compensation, Conversation, RecoveryCase, RecoveryStatus, utcnow
from feedback.amounts import parse_amount
from feedback.compensation import CATEGORIES, SEVERITIES, Offer
from feedback.handover import Handover
from feedback.language import in_language, normalise_persian, to_ascii_digits
from feedback.money import MoneyFormat
from feedback.sentiment import TextBlobScorer

COMPLAINT_PREFIX = "complain_"
# The remedy wording recovery.yml must have (workaround may be empty: none configured).
REMEDY_MESSAGES = (
    "then",
    "choose",
    "replacement_button",
    "refund_button",
    *(f"{kind}{way}" for kind in ("overcharge_refund", "item_refund") for way in ("", "_pending", "_unknown")),
    "replacement",
    "replacement_pending",
    "prepaid_return",
    "delivery_follow_up",
    "delivery_follow_up_no_order",
    "new_estimate",
    "staff_report",
    "workaround",
    "other_route",
    "team_follow_up",
)
UNKNOWN_ORDER = "unknown"


@dataclass(frozen=True)
class RecoveryContent:
    order_pattern: re.Pattern
    order_example: str
    unknown_phrases: tuple[str, ...]
    max_reasks: int
    description_min_words: int
    base_severity: dict[str, str]
    medium_at_or_below: float
    high_at_or_below: float
    high_cues: tuple[str, ...]
    labels: dict[str, str]
    offer_wording: dict[str, str]
    messages: dict[str, str]
    # How amounts are written in this content's language (compensation.yml's money_format).
    money: MoneyFormat = MoneyFormat()
    # The remedy in words (recovery.yml remedies): refunds, replacement, follow-ups, workaround.
    remedy_messages: dict[str, str] = field(default_factory=dict)

    def remedy(self, key: str, **values) -> str:
        # Day counts and order numbers in the content language's digits ("۳ تا ۵" in Persian).
        shown = {k: self.money.number(v) if _whole_number(v) else v for k, v in values.items()}
        return self.remedy_messages[key].format(**shown)

    def remedy_then(self, remedy: str, following: str) -> str:
        """The remedy, then what follows it (an offer, a handoff), as the content joins them."""
        if not remedy:
            return following
        return self.remedy_messages["then"].format(remedy=remedy, next=following) if following else remedy

    def label(self, category: str) -> str:
        return self.labels.get(category) or self.labels.get("other", "what happened")

    def message(self, key: str, **values) -> str:
        return self.messages[key].format(example=self.order_example, **values)


def _whole_number(value: object) -> bool:
    """A count, or digits kept as text (an order number, which may start with 0)."""
    return isinstance(value, int) or (isinstance(value, str) and value.isdigit())


def load_content(path: Path, language: str | None = None) -> RecoveryContent:
    data = in_language(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, language)
    order = data.get("order_number") or {}
    try:
        pattern = re.compile(order.get("pattern", r"\b\d{6,10}\b"))
    except re.error as error:
        raise ValueError(f"{path.name}: order_number.pattern is not a valid regular expression: {error}") from None
    severity = data.get("severity") or {}
    base = {str(k): str(v) for k, v in (severity.get("base") or {}).items()}
    for category, level in base.items():
        if category not in CATEGORIES or level not in SEVERITIES:
            raise ValueError(f"{path.name}: severity.base.{category}: {level!r} is not one of {', '.join(SEVERITIES)}")
    messages = {str(k): str(v) for k, v in (data.get("messages") or {}).items()}
    required = ("ask_order_number", "reask_order_number", "offer", "issued", "pending", "already_issued", "capped")
    missing = [key for key in required if key not in messages]
    if missing:
        raise ValueError(f"{path.name}: messages needs {', '.join(missing)}")
    remedies = {str(k): str(v or "") for k, v in (data.get("remedies") or {}).items()}
    missing = [key for key in REMEDY_MESSAGES if key not in remedies]
    if missing:
        raise ValueError(f"{path.name}: remedies needs {', '.join(missing)}")
    return RecoveryContent(
        order_pattern=pattern,
        order_example=str(order.get("example", "")),
        unknown_phrases=tuple(normalise_persian(str(p)).lower() for p in order.get("unknown_phrases") or ()),
        max_reasks=int(order.get("max_reasks", 2)),
        description_min_words=int(data.get("description_min_words", 7)),
        base_severity=base,
        medium_at_or_below=float(severity.get("medium_at_or_below", -0.4)),
        high_at_or_below=float(severity.get("high_at_or_below", -0.7)),
        high_cues=tuple(normalise_persian(str(c)).lower() for c in severity.get("high_cues") or ()),
        labels={str(k): str(v) for k, v in (data.get("labels") or {}).items()},
        offer_wording={str(k): str(v) for k, v in (data.get("offers") or {}).items()},
        messages=messages,
        remedy_messages=remedies,
    )


def category_of(intent: str | None) -> str | None:
    """The complaint category of an intent name (complain_late_delivery -> late_delivery)."""
    if not intent or not intent.startswith(COMPLAINT_PREFIX):
        return None
    category = intent[len(COMPLAINT_PREFIX) :]
    return category if category in CATEGORIES else "other"


def assess_severity(content: RecoveryContent, category: str, text: str, polarity: float | None) -> str:
    """low / medium / high: the category's base, raised by strong negative sentiment or cue words."""
    level = SEVERITIES.index(content.base_severity.get(category, "low"))
    lowered = f" {normalise_persian(text).lower()} "
    if any(f" {cue} " in lowered or f" {cue}," in lowered or f" {cue}." in lowered for cue in content.high_cues):
        level = 2
    if polarity is not None:
        if polarity <= content.high_at_or_below:
            level = 2
        elif polarity <= content.medium_at_or_below:
            level = max(level, 1)
    return SEVERITIES[level]


def find_order_number(content: RecoveryContent, text: str) -> str | None:
    match = content.order_pattern.search(to_ascii_digits(text or ""))  # "۴۸۲۹۱۷۳" too
    return match.group(0) if match else None


def means_no_order_number(content: RecoveryContent, text: str) -> bool:
    lowered = normalise_persian(text or "").lower().replace("’", "'")
    return any(phrase in lowered for phrase in content.unknown_phrases)


def money(content: RecoveryContent, cents: int, currency: str) -> str:
    """An amount as the customer reads it in the content's language: "49.90 EUR", "۵۰٬۰۰۰ تومان"."""
    return content.money.write(cents, currency)


def describe_offer(content: RecoveryContent, offer: Offer, currency: str) -> str:
    amount = content.money.write(offer.amount_cents, currency) if offer.amount_cents else ""
    wording = content.offer_wording.get(offer.kind, offer.kind.replace("_", " "))
    return wording.format(amount=amount, percent=content.money.number(offer.percent or 0))


def describe_compensation(content: RecoveryContent, row: Compensation) -> str:
    return describe_offer(content, Offer(row.kind, row.amount_cents, row.percent), row.currency)


# --- the case record -------------------------------------------------------------------------


def open_case(
    session: Session,
    *,
    conversation_id: int,
    source: str,
    category: str,
    severity: str,
    order_number: str | None = None,
    description: str | None = None,
    status: RecoveryStatus = RecoveryStatus.OPEN,
    now: datetime | None = None,
) -> RecoveryCase:
    conversation = session.get(Conversation, conversation_id)
    case = RecoveryCase(
        conversation_id=conversation_id,
        customer_id=conversation.customer_id,
        source=source,
        category=category if category in CATEGORIES else "other",
        severity=severity if severity in SEVERITIES else "low",
        order_number=(order_number or None) and order_number[:40],
        description=(description or None) and description[:4000],
        status=status.value,
        created_at=now or utcnow(),
    )
    session.add(case)
    session.flush()
    return case


def case_in_conversation(session: Session, case_id, conversation_id: int) -> RecoveryCase | None:
    """The case with this id if it belongs to the conversation (slot values can't be trusted blindly)."""
    try:
        case = session.get(RecoveryCase, int(case_id))
    except (TypeError, ValueError):
        return None
    return case if case is not None and case.conversation_id == conversation_id else None


def latest_offer_case(session: Session, conversation_id: int) -> RecoveryCase | None:
    """The newest case in the conversation that got an offer (whatever the customer answered)."""
    made = (
        RecoveryStatus.OFFERED.value,
        RecoveryStatus.RECOVERED.value,
        RecoveryStatus.PENDING_APPROVAL.value,
        RecoveryStatus.DECLINED.value,
    )
    return session.execute(
        select(RecoveryCase)
        .where(RecoveryCase.conversation_id == conversation_id, RecoveryCase.status.in_(made))
        .order_by(RecoveryCase.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def close_case(case: RecoveryCase, status: RecoveryStatus, now: datetime | None = None) -> None:
    case.status = status.value
    if status not in (RecoveryStatus.OPEN, RecoveryStatus.OFFERED, RecoveryStatus.PENDING_APPROVAL):
        case.closed_at = now or utcnow()


def cancel_case(session: Session, *, conversation_id: int, case_id) -> None:
    """ "Never mind": a case still open is closed as cancelled (one already offered stays)."""
    case = case_in_conversation(session, case_id, conversation_id)
    if case is not None and case.status == RecoveryStatus.OPEN.value:
        close_case(case, RecoveryStatus.CANCELLED)


def hand_over(
    session: Session, conversation: Conversation, *, reason: str, handover: Handover, case: RecoveryCase | None = None
) -> str:
    """A person takes the conversation, and the case with it; returns what to tell the customer."""
    if case is not None:
        close_case(case, RecoveryStatus.ESCALATED)
    return handover.escalate(session, conversation, reason=reason)


def hand_over_in_recovery(
    session: Session, conversation: Conversation, *, case_id, reason: str, handover: Handover
) -> str:
    """The customer asks for a person: a recovery still being worked on goes with them."""
    case = case_in_conversation(session, case_id, conversation.id)
    if case is not None and case.status != RecoveryStatus.OPEN.value:
        case = None
    return hand_over(session, conversation, reason=reason, handover=handover, case=case)


# --- the steps of a recovery, each returning an outcome the action renders --------------------


@cache
def _intensity() -> TextBlobScorer:
    """Severity reads emotional intensity with plain TextBlob: the product's scorer puts every plain
    complaint at -0.6 or below, because it is tuned to catch complaints, not to grade them.

    Built on first use, not at import: TextBlob's lexicon is not needed to start the server."""
    return TextBlobScorer()


@dataclass(frozen=True)
class Complaint:
    case_id: int
    category: str
    severity: str
    order_number: str | None
    description: str | None


def open_complaint(
    session: Session,
    content: RecoveryContent,
    *,
    conversation_id: int,
    intent: str | None,
    text: str,
    order_entity: str | None,
    currency: str | None = None,
) -> Complaint:
    """Open the case of a complaint: its category, severity, order number, description and an
    amount stated in `currency` (text is the customer's words, empty for a button)."""
    category = category_of(intent) or "other"
    polarity = _intensity().score(text).polarity if text else None
    severity = assess_severity(content, category, text, polarity)
    order_number = order_entity or find_order_number(content, text)
    # A complaint that already says what happened is not asked for again.
    description = text if len(text.split()) >= content.description_min_words else None
    case = open_case(
        session,
        conversation_id=conversation_id,
        source="complaint",
        category=category,
        severity=severity,
        order_number=order_number,
        description=description,
    )
    if currency:
        case.stated_amount_cents = parse_amount(text, currency)
    return Complaint(case.id, category, severity, order_number, description)
