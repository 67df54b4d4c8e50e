"""Service recovery rules: reading a complaint, its severity, the order number, and the case record.

The wording and thresholds come from content/recovery.yml; what is offered comes from the
compensation policy (feedback/compensation.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Optional

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Compensation, Conversation, RecoveryCase, RecoveryStatus, utcnow
from feedback.compensation import CATEGORIES, SEVERITIES, Offer

COMPLAINT_PREFIX = "complain_"
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

    def label(self, category: str) -> str:
        return self.labels.get(category) or self.labels.get("other", "what happened")

    def message(self, key: str, **values) -> str:
        return self.messages[key].format(example=self.order_example, **values)


def load_content(path: Path) -> RecoveryContent:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
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
    return RecoveryContent(
        order_pattern=pattern,
        order_example=str(order.get("example", "")),
        unknown_phrases=tuple(str(p).lower() for p in order.get("unknown_phrases") or ()),
        max_reasks=int(order.get("max_reasks", 2)),
        description_min_words=int(data.get("description_min_words", 7)),
        base_severity=base,
        medium_at_or_below=float(severity.get("medium_at_or_below", -0.4)),
        high_at_or_below=float(severity.get("high_at_or_below", -0.7)),
        high_cues=tuple(str(c).lower() for c in severity.get("high_cues") or ()),
        labels={str(k): str(v) for k, v in (data.get("labels") or {}).items()},
        offer_wording={str(k): str(v) for k, v in (data.get("offers") or {}).items()},
        messages=messages,
    )


def category_of(intent: Optional[str]) -> Optional[str]:
    """The complaint category of an intent name (complain_late_delivery -> late_delivery)."""
    if not intent or not intent.startswith(COMPLAINT_PREFIX):
        return None
    category = intent[len(COMPLAINT_PREFIX):]
    return category if category in CATEGORIES else "other"


def assess_severity(content: RecoveryContent, category: str, text: str, polarity: Optional[float]) -> str:
    """low / medium / high: the category's base, raised by strong negative sentiment or cue words."""
    level = SEVERITIES.index(content.base_severity.get(category, "low"))
    lowered = f" {text.lower()} "
    if any(f" {cue} " in lowered or f" {cue}," in lowered or f" {cue}." in lowered for cue in content.high_cues):
        level = 2
    if polarity is not None:
        if polarity <= content.high_at_or_below:
            level = 2
        elif polarity <= content.medium_at_or_below:
            level = max(level, 1)
    return SEVERITIES[level]


def find_order_number(content: RecoveryContent, text: str) -> Optional[str]:
    match = content.order_pattern.search(text or "")
    return match.group(0) if match else None


def means_no_order_number(content: RecoveryContent, text: str) -> bool:
    lowered = (text or "").lower().replace("’", "'")
    return any(phrase in lowered for phrase in content.unknown_phrases)


def describe_offer(content: RecoveryContent, offer: Offer, currency: str) -> str:
    amount = f"{offer.amount_cents / 100:.2f} {currency}" if offer.amount_cents else ""
    wording = content.offer_wording.get(offer.kind, offer.kind.replace("_", " "))
    return wording.format(amount=amount, percent=offer.percent or 0)


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
    order_number: Optional[str] = None,
    description: Optional[str] = None,
    status: RecoveryStatus = RecoveryStatus.OPEN,
    now: Optional[datetime] = None,
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


def case_in_conversation(session: Session, case_id, conversation_id: int) -> Optional[RecoveryCase]:
    """The case with this id if it belongs to the conversation (slot values can't be trusted blindly)."""
    try:
        case = session.get(RecoveryCase, int(case_id))
    except (TypeError, ValueError):
        return None
    return case if case is not None and case.conversation_id == conversation_id else None


def latest_offer_case(session: Session, conversation_id: int) -> Optional[RecoveryCase]:
    """The newest case in the conversation that got an offer (whatever the customer answered)."""
    made = (
        RecoveryStatus.OFFERED.value, RecoveryStatus.RECOVERED.value,
        RecoveryStatus.PENDING_APPROVAL.value, RecoveryStatus.DECLINED.value,
    )
    return session.execute(
        select(RecoveryCase)
        .where(RecoveryCase.conversation_id == conversation_id, RecoveryCase.status.in_(made))
        .order_by(RecoveryCase.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def close_case(case: RecoveryCase, status: RecoveryStatus, now: Optional[datetime] = None) -> None:
    case.status = status.value
    if status not in (RecoveryStatus.OPEN, RecoveryStatus.OFFERED, RecoveryStatus.PENDING_APPROVAL):
        case.closed_at = now or utcnow()
