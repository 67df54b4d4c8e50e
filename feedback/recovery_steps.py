"""The steps of a recovery, each returning an Outcome the actions only render: the remedy first
(feedback/remedies.py), then the goodwill offer where the policy allows it, its acceptance or
refusal, and a person when the cap is reached or an approval is needed."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sqlalchemy.orm import Session

from bot.storage.models import Compensation, CompensationStatus, Conversation, RecoveryCase, RecoveryStatus
from feedback import compensation, remedies
from feedback.amounts import parse_amount
from feedback.compensation import Policy
from feedback.handover import Handover
from feedback.recovery import (
    RecoveryContent,
    case_in_conversation,
    close_case,
    describe_compensation,
    describe_offer,
    hand_over,
    latest_offer_case,
)


class Step(str, Enum):
    NO_OFFER = "no_offer"  # nothing waiting for an answer
    CHOOSE_REMEDY = "choose_remedy"  # replacement or refund: the customer chooses
    REMEDIED = "remedied"  # the remedy alone: no goodwill for this category
    OFFER = "offer"
    ISSUED = "issued"
    NEEDS_APPROVAL = "needs_approval"
    CAP_REACHED = "cap_reached"
    ALREADY_ISSUED = "already_issued"  # a second tap or a retry
    DECLINED = "declined"


@dataclass(frozen=True)
class Outcome:
    step: Step
    offer: str = ""  # the offer in words
    code: str = ""
    handoff: str = ""  # what the handoff tells the customer, when a person takes over
    replacement: bool = False
    remedy: str = ""  # the remedy in words, said before the rest


def _cap_reached(
    session: Session, conversation: Conversation, case: RecoveryCase, handover: Handover, remedy: str = ""
) -> Outcome:
    handoff = hand_over(session, conversation, reason="compensation_cap", handover=handover, case=case)
    return Outcome(Step.CAP_REACHED, handoff=handoff, remedy=remedy)


def _remedy_pending(session: Session, case: RecoveryCase) -> bool:
    row = session.get(Compensation, case.remedy_id) if case.remedy_id is not None else None
    return row is not None and row.status == CompensationStatus.PENDING_APPROVAL.value


def _after_remedy(
    session: Session,
    content: RecoveryContent,
    policy: Policy,
    *,
    conversation: Conversation,
    case: RecoveryCase,
    handover: Handover,
    remedied: remedies.Remedied,
) -> Outcome:
    """Goodwill where the category allows it and the cap does not stop it; else the remedy alone."""
    if not policy.remedy_for(case.category).goodwill:
        if remedied.pending:
            close_case(case, RecoveryStatus.PENDING_APPROVAL)
            handoff = handover.escalate(session, conversation, reason="compensation_approval")
            return Outcome(Step.REMEDIED, remedy=remedied.text, handoff=handoff)
        close_case(case, RecoveryStatus.RECOVERED)
        return Outcome(Step.REMEDIED, remedy=remedied.text)
    if not compensation.within_cap(session, policy=policy, customer_id=conversation.customer_id):
        return _cap_reached(session, conversation, case, handover, remedied.text)
    case.status = RecoveryStatus.OFFERED.value
    offer = describe_offer(content, policy.offer_for(case.category, case.severity), policy.currency)
    return Outcome(Step.OFFER, offer=offer, remedy=remedied.text)


def make_offer(
    session: Session,
    content: RecoveryContent,
    policy: Policy,
    *,
    conversation: Conversation,
    case_id,
    order_number: str | None,
    description: str | None,
    handover: Handover,
) -> Outcome:
    """The remedy (or the choice of one), then the goodwill the policy gives, within the cap."""
    case = case_in_conversation(session, case_id, conversation.id)
    if case is None:
        return Outcome(Step.NO_OFFER)
    case.order_number = order_number or case.order_number or None
    case.description = description or case.description
    if case.stated_amount_cents is None:
        case.stated_amount_cents = parse_amount(case.description or "", policy.currency)
    if remedies.needs_choice(policy, case):
        case.status = RecoveryStatus.OFFERED.value  # the choice is the offer waiting for an answer
        return Outcome(Step.CHOOSE_REMEDY, remedy=content.remedy("choose"))
    remedied = remedies.apply(session, content, policy, case)
    return _after_remedy(
        session, content, policy, conversation=conversation, case=case, handover=handover, remedied=remedied
    )


def choose_remedy(
    session: Session,
    content: RecoveryContent,
    policy: Policy,
    *,
    conversation: Conversation,
    choice: str | None,
    handover: Handover,
) -> Outcome:
    """The customer's choice of replacement or refund, done once; then the goodwill."""
    case = latest_offer_case(session, conversation.id)
    if case is None or case.status != RecoveryStatus.OFFERED.value or choice not in remedies.CHOICES:
        return Outcome(Step.NO_OFFER)
    if not remedies.needs_choice(policy, case):  # a second tap: the same words, nothing new
        return Outcome(Step.REMEDIED, remedy=remedies.words(content, policy, session, case).text)
    remedied = remedies.apply(session, content, policy, case, choice)
    return _after_remedy(
        session, content, policy, conversation=conversation, case=case, handover=handover, remedied=remedied
    )


def _waiting_offer(session: Session, content: RecoveryContent, conversation: Conversation) -> RecoveryCase | Outcome:
    """The case whose offer waits for an answer, or the outcome when none does."""
    case = latest_offer_case(session, conversation.id)
    if case is None:
        return Outcome(Step.NO_OFFER)
    if case.compensation_id is not None:
        row = session.get(Compensation, case.compensation_id)
        return Outcome(Step.ALREADY_ISSUED, offer=describe_compensation(content, row), code=row.code)
    return case


def _approval_handoff(session: Session, conversation: Conversation, case: RecoveryCase, handover: Handover) -> str:
    """A remedy waiting for approval reaches a person once the goodwill is answered."""
    if not _remedy_pending(session, case):
        return ""
    return handover.escalate(session, conversation, reason="compensation_approval")


def accept_offer(
    session: Session, content: RecoveryContent, policy: Policy, *, conversation: Conversation, handover: Handover
) -> Outcome:
    """Issue the accepted offer once (idempotent per case); above the limit a person approves it."""
    case = _waiting_offer(session, content, conversation)
    if isinstance(case, Outcome):
        return case
    if not policy.remedy_for(case.category).goodwill:  # remedy only: a stray "yes" is no coupon
        return Outcome(Step.NO_OFFER)
    if remedies.needs_choice(policy, case):  # "yes" to "replacement or refund?": ask again
        return Outcome(Step.CHOOSE_REMEDY, remedy=content.remedy("choose"))
    result = compensation.issue(
        session,
        policy=policy,
        conversation_id=conversation.id,
        category=case.category,
        severity=case.severity,
        reason=case.description or content.label(case.category),
        idempotency_key=f"case-{case.id}",
    )
    if result.capped:
        return _cap_reached(session, conversation, case, handover)
    row = result.compensation
    case.compensation_id = row.id
    offer = describe_compensation(content, row)
    if row.status == CompensationStatus.PENDING_APPROVAL.value:
        close_case(case, RecoveryStatus.PENDING_APPROVAL)
        handoff = handover.escalate(session, conversation, reason="compensation_approval")
        return Outcome(Step.NEEDS_APPROVAL, offer=offer, code=row.code, handoff=handoff)
    close_case(case, RecoveryStatus.RECOVERED)
    handoff = _approval_handoff(session, conversation, case, handover)
    return Outcome(Step.ISSUED, offer=offer, code=row.code, replacement=row.kind == "replacement", handoff=handoff)


def decline_offer(
    session: Session, content: RecoveryContent, *, conversation: Conversation, handover: Handover | None = None
) -> Outcome:
    """Record a declined offer; an offer already issued stays issued, a remedy stays done."""
    case = _waiting_offer(session, content, conversation)
    if isinstance(case, Outcome):
        return case
    close_case(case, RecoveryStatus.DECLINED)
    handoff = _approval_handoff(session, conversation, case, handover) if handover is not None else ""
    return Outcome(Step.DECLINED, handoff=handoff)
