"""Compensation for service recovery: a policy in YAML chooses the offer; a ledger records it.

Issuing is idempotent: the caller passes a key (the button payload's id, a request id), and the
same key in the same conversation always returns the same ledger row.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.storage.models import Compensation, CompensationPurpose, CompensationStatus, Conversation, utcnow
from feedback.money import MoneyFormat, load_formats
from feedback.remedy_policy import Remedy, load_remedies

CATEGORIES = (
    "late_delivery",
    "damaged_item",
    "wrong_item",
    "missing_item",
    "billing_error",
    "rude_staff",
    "website_problem",
    "other",
)
SEVERITIES = ("low", "medium", "high")
KINDS = ("coupon_percent", "free_delivery", "delivery_refund", "partial_refund", "replacement")
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
_COUNTED = (
    CompensationStatus.ISSUED.value,
    CompensationStatus.PENDING_APPROVAL.value,
    CompensationStatus.REDEEMED.value,
)


@dataclass(frozen=True)
class Offer:
    kind: str
    amount_cents: int | None = None
    percent: int | None = None


@dataclass(frozen=True)
class Policy:
    currency: str
    auto_approval_limit_cents: int
    always_approve: frozenset[str]
    max_per_customer: int
    period: timedelta
    average_order_cents: int
    offers: dict[tuple[str, str], Offer]
    # How amounts are written per language (money_format); English without one: "4.95 EUR".
    money: dict[str, MoneyFormat] = field(default_factory=dict)

    def money_format(self, language: str | None) -> MoneyFormat:
        return self.money.get(language or "", MoneyFormat())

    # What fixes each category's problem, before any goodwill (every category has one).
    remedies: dict[str, Remedy] = field(default_factory=dict)

    def remedy_for(self, category: str) -> Remedy:
        return self.remedies.get(category) or self.remedies["other"]

    def remedy_needs_approval(self, remedy: Remedy, kind: str, amount_cents: int | None) -> bool:
        """A refund of an unknown amount, or above the limit, or a kind a person always approves."""
        limit = self.auto_approval_limit_cents if remedy.approval_limit_cents is None else remedy.approval_limit_cents
        if kind in self.always_approve:
            return True
        return kind != "replacement" and (amount_cents is None or amount_cents > limit)

    def offer_for(self, category: str, severity: str) -> Offer:
        if severity not in SEVERITIES:
            raise ValueError(f"unknown severity {severity!r}")
        return self.offers.get((category, severity)) or self.offers[("other", severity)]

    def estimated_cost_cents(self, offer: Offer) -> int:
        if offer.percent is not None:
            return self.average_order_cents * offer.percent // 100
        return offer.amount_cents or 0

    def needs_approval(self, offer: Offer) -> bool:
        return offer.kind in self.always_approve or self.estimated_cost_cents(offer) > self.auto_approval_limit_cents


def _offer(raw: dict, where: str) -> Offer:
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ValueError(f"{where}: kind must be one of {', '.join(KINDS)}")
    percent, amount = raw.get("percent"), raw.get("amount_cents")
    if kind == "coupon_percent" and not (isinstance(percent, int) and 0 < percent <= 100):
        raise ValueError(f"{where}: coupon_percent needs a whole percent from 1 to 100")
    if kind in ("free_delivery", "delivery_refund", "partial_refund") and not (isinstance(amount, int) and amount > 0):
        raise ValueError(f"{where}: {kind} needs amount_cents, a positive whole number of cents")
    return Offer(kind=kind, amount_cents=amount, percent=percent)


def load_policy(path: Path) -> Policy:
    """Read and check the policy; a mistake names the place in the file."""
    text = path.read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    offers = {}
    for category, by_severity in (data.get("offers") or {}).items():
        if category not in CATEGORIES:
            raise ValueError(f"{path.name}: unknown category {category!r}")
        for severity, raw in by_severity.items():
            if severity not in SEVERITIES:
                raise ValueError(f"{path.name}: {category}: unknown severity {severity!r}")
            offers[(category, severity)] = _offer(raw, f"{path.name}: {category}.{severity}")
    missing = [s for s in SEVERITIES if ("other", s) not in offers]
    if missing:
        raise ValueError(f"{path.name}: offers.other needs low, medium and high (the fallback)")
    cap = data.get("cap") or {}
    return Policy(
        currency=str(data.get("currency", "EUR")),
        auto_approval_limit_cents=int(data["auto_approval_limit_cents"]),
        always_approve=frozenset(data.get("always_approve") or ()),
        max_per_customer=int(cap.get("max_per_customer", 2)),
        period=timedelta(days=int(cap.get("period_days", 90))),
        average_order_cents=int(data.get("average_order_cents", 5000)),
        offers=offers,
        money=load_formats(data.get("money_format"), path.name),
        remedies=load_remedies(data.get("remedies"), CATEGORIES, path.name, text),
    )


@dataclass(frozen=True)
class IssueResult:
    compensation: Compensation | None
    created: bool  # False: an earlier request with the same key, or refused by the cap
    capped: bool = False


def new_code() -> str:
    return "CX-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


def _existing(session: Session, conversation_id: int, key: str) -> Compensation | None:
    return session.execute(
        select(Compensation).where(Compensation.conversation_id == conversation_id, Compensation.idempotency_key == key)
    ).scalar_one_or_none()


def within_cap(session: Session, *, policy: Policy, customer_id: int, now: datetime | None = None) -> bool:
    """Whether the customer may get another compensation in the policy's period."""
    now = now or utcnow()
    recent = session.execute(
        select(func.count(Compensation.id)).where(
            Compensation.customer_id == customer_id,
            Compensation.purpose == CompensationPurpose.GOODWILL.value,  # a refund of an error is no gift
            Compensation.status.in_(_COUNTED),
            Compensation.created_at >= now - policy.period,
        )
    ).scalar_one()
    return recent < policy.max_per_customer


def issue(
    session: Session,
    *,
    policy: Policy,
    conversation_id: int,
    category: str,
    severity: str,
    reason: str,
    idempotency_key: str,
    now: datetime | None = None,
) -> IssueResult:
    """Record the policy's offer once per key; pending approval above the limit (caller commits)."""
    existing = _existing(session, conversation_id, idempotency_key)
    if existing is not None:
        return IssueResult(existing, created=False)
    now = now or utcnow()
    conversation = session.get(Conversation, conversation_id)
    if not within_cap(session, policy=policy, customer_id=conversation.customer_id, now=now):
        return IssueResult(None, created=False, capped=True)
    offer = policy.offer_for(category, severity)
    status = CompensationStatus.PENDING_APPROVAL if policy.needs_approval(offer) else CompensationStatus.ISSUED
    row = Compensation(
        code=new_code(),
        conversation_id=conversation_id,
        customer_id=conversation.customer_id,
        kind=offer.kind,
        amount_cents=offer.amount_cents,
        percent=offer.percent,
        currency=policy.currency,
        category=category if category in CATEGORIES else "other",
        severity=severity,
        reason=reason[:2000],
        status=status.value,
        idempotency_key=idempotency_key[:64],
        created_at=now,
    )
    return insert_once(session, row)


def insert_once(session: Session, row: Compensation) -> IssueResult:
    """Add a ledger row unless its key is taken; the row holding the key either way."""
    # A concurrent retry with the same key may insert first: the unique constraint decides,
    # and the loser returns the winner's row.
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = _existing(session, row.conversation_id, row.idempotency_key)
        if existing is None:
            raise
        return IssueResult(existing, created=False)
    return IssueResult(row, created=True)
