"""The remedy of a recovery case: what fixes the problem itself, recorded once and put in words
before any goodwill (the policy's `remedies:`, the wording's `remedies:`).

A refund or a replacement is a ledger row (purpose "remedy"), pending a person's approval when the
policy says so; a follow-up, a staff report or a workaround is recorded on the case, and what the
team must do is left as a note in the staff desk. Amounts are only ever the customer's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.storage.models import (
    Compensation,
    CompensationPurpose,
    CompensationStatus,
    RecoveryCase,
    StaffNote,
    utcnow,
)
from feedback.compensation import Policy, insert_once, new_code
from feedback.recovery import UNKNOWN_ORDER, RecoveryContent, money
from feedback.remedy_policy import Remedy

CHOICES = ("replacement", "refund")
# What the team does for a remedy without a ledger row, as a note in the staff desk.
_NOTES = {
    "delivery_follow_up": "Remedy for case {case}: ask the carrier about order {order} and email the customer "
    "what they say.",
    "staff_report": "Staff report for the team lead (case {case}): {description}",
    "team_follow_up": "Remedy for case {case}: look into it and reply by email within {days} working days. "
    "{description}",
}


@dataclass(frozen=True)
class Remedied:
    text: str  # what the customer is told
    pending: bool = False  # its ledger row waits for a person's approval


def needs_choice(policy: Policy, case: RecoveryCase) -> bool:
    """The customer chooses replacement or refund first, and has not yet."""
    return policy.remedy_for(case.category).action == "replace_or_refund" and case.remedy is None


def _days(remedy: Remedy) -> dict[str, object]:
    low, high = remedy.days or (0, 0)
    return {"days": f"{low}" if low == high else f"{low}-{high}", "days_from": low, "days_to": high}


def _ledger_row(session: Session, policy: Policy, case: RecoveryCase, kind: str) -> Compensation:
    """The case's remedy row, recorded once (a second tap returns the first)."""
    remedy = policy.remedy_for(case.category)
    amount = None if kind == "replacement" else case.stated_amount_cents
    pending = policy.remedy_needs_approval(remedy, kind, amount)
    status = CompensationStatus.PENDING_APPROVAL if pending else CompensationStatus.ISSUED
    row = Compensation(
        code=new_code(),
        conversation_id=case.conversation_id,
        customer_id=case.customer_id,
        kind=kind,
        purpose=CompensationPurpose.REMEDY.value,
        amount_cents=amount,
        currency=policy.currency,
        category=case.category,
        severity=case.severity,
        reason=(case.description or "")[:2000],
        status=status.value,
        idempotency_key=f"case-{case.id}-remedy",
        created_at=utcnow(),
    )
    return insert_once(session, row).compensation


def _note(session: Session, case: RecoveryCase, remedy: Remedy) -> None:
    text = _NOTES[case.remedy].format(
        case=case.id, order=case.order_number or "unknown", description=case.description or "", **_days(remedy)
    )
    session.add(StaffNote(conversation_id=case.conversation_id, author_id=None, text=text.strip()))


def record(session: Session, policy: Policy, case: RecoveryCase, choice: str | None = None) -> None:
    """Do the case's remedy once: a ledger row for money or goods, else a note for the team."""
    if case.remedy is not None:
        return
    remedy = policy.remedy_for(case.category)
    if remedy.action == "refund_overcharge":
        case.remedy = "refund_overcharge"
        case.remedy_id = _ledger_row(session, policy, case, "overcharge_refund").id
    elif remedy.action == "replace_or_refund":
        case.remedy = "replacement" if choice == "replacement" else "item_refund"
        case.remedy_id = _ledger_row(session, policy, case, case.remedy).id
    else:
        case.remedy = remedy.action
        if case.remedy in _NOTES:
            _note(session, case, remedy)


def _refund_words(content: RecoveryContent, policy: Policy, row: Compensation, remedy: Remedy) -> str:
    way = "_unknown" if row.amount_cents is None else "_pending" if row.status == "pending_approval" else ""
    amount = money(content, row.amount_cents, row.currency) if row.amount_cents is not None else ""
    return content.remedy(f"{row.kind}{way}", amount=amount, code=row.code, **_days(remedy))


def words(content: RecoveryContent, policy: Policy, session: Session, case: RecoveryCase) -> Remedied:
    """The recorded remedy in the customer's words, and whether a person must approve it."""
    remedy = policy.remedy_for(case.category)
    row = session.get(Compensation, case.remedy_id) if case.remedy_id is not None else None
    if row is not None:
        pending = row.status == CompensationStatus.PENDING_APPROVAL.value
        if row.kind == "replacement":
            text = content.remedy("replacement_pending" if pending else "replacement", code=row.code)
        else:
            text = _refund_words(content, policy, row, remedy)
        if remedy.prepaid_return:
            text = content.remedy_then(text, content.remedy("prepaid_return"))
        return Remedied(text, pending=pending)
    if case.remedy == "delivery_follow_up":
        known = case.order_number and case.order_number != UNKNOWN_ORDER
        text = content.remedy("delivery_follow_up" if known else "delivery_follow_up_no_order", order=case.order_number)
        if remedy.days:
            text = content.remedy_then(text, content.remedy("new_estimate", **_days(remedy)))
        return Remedied(text)
    if case.remedy == "workaround":
        return Remedied(content.remedy_then(content.remedy("workaround"), content.remedy("other_route")))
    if case.remedy == "staff_report":
        return Remedied(content.remedy("staff_report"))
    return Remedied(content.remedy("team_follow_up", **_days(remedy)))


def apply(
    session: Session, content: RecoveryContent, policy: Policy, case: RecoveryCase, choice: str | None = None
) -> Remedied:
    """Record the remedy once and say it."""
    record(session, policy, case, choice)
    session.flush()
    return words(content, policy, session, case)
