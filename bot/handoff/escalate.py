"""Requests for a person: recorded with a reason, and the conversation leaves the bot's hands.

The staff desk (bot/desk) serves the queue; until a person takes over, the router stores the
customer's messages without a bot reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation.store import conversation_by_public_id
from bot.desk.content import load_content
from bot.handoff.transitions import active_request
from bot.handoff.estimate import estimate_text
from bot.app.settings import get_settings
from bot.storage.models import (
    Conversation,
    ConversationState,
    Direction,
    HandoffEvent,
    HandoffRequest,
    HandoffStatus,
    Message,
    RecoveryCase,
    RecoveryStatus,
    utcnow,
)
from bot.handoff.triggers import EscalationRules, handoff_message, is_open, load_rules, sentiment_trigger

# What the staff desk sends the assistant when a person hands a conversation back: the bot
# then offers a CES survey (the rule is in stories/surveys.yml).
HAND_BACK_PAYLOAD = "/handoff_resolved"

REASONS = (
    "customer_request", "repeated_fallback", "negative_sentiment", "very_negative_message",
    "nps_detractor", "difficult_ces", "compensation_approval", "compensation_cap",
)


@dataclass(frozen=True)
class Handoff:
    created: bool  # False: a request was already open (a retry, or a second trigger)
    message: str  # what to tell the customer


@lru_cache(maxsize=1)
def escalation_rules() -> EscalationRules:
    return load_rules(get_settings().content_dir / "escalation.yml")


@lru_cache(maxsize=1)
def _desk_messages() -> dict[str, str]:
    return load_content(get_settings().content_dir).messages


def escalate(
    session: Session,
    conversation: Conversation,
    *,
    reason: str,
    rules: Optional[EscalationRules] = None,
    now: Optional[datetime] = None,
) -> Handoff:
    """Record a request for a person once and put the conversation in the queue (caller commits)."""
    if reason not in REASONS:
        raise ValueError(f"unknown handoff reason {reason!r}")
    rules = rules or escalation_rules()
    now = now or utcnow()
    if active_request(session, conversation.id) is not None:
        return Handoff(created=False, message=handoff_message(rules, now, already=True))
    request = HandoffRequest(conversation_id=conversation.id, reason=reason, status=HandoffStatus.OPEN.value,
                             created_at=now)
    session.add(request)
    if conversation.state == ConversationState.BOT.value:
        conversation.state = ConversationState.AWAITING_HUMAN.value
    session.flush()
    session.add(HandoffEvent(handoff_id=request.id, kind="queued", created_at=now))
    message = handoff_message(rules, now)
    if rules.hours and is_open(rules, now):
        # People are there: say how long it will likely take (outside hours the message says when).
        message = f"{message} {estimate_text(session, request, _desk_messages(), now)}"
    return Handoff(created=True, message=message)


def request_handoff(session: Session, *, conversation_public_id: str, reason: str) -> Handoff:
    return escalate(session, conversation_by_public_id(session, conversation_public_id), reason=reason)


def _recent_polarities(session: Session, conversation_id: int, limit: int) -> list[float]:
    rows = session.execute(
        select(Message.polarity)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == Direction.CUSTOMER.value,
            Message.polarity.isnot(None),
        )
        .order_by(Message.id.desc())
        .limit(limit)
    ).scalars().all()
    return list(reversed(rows))


def _recovery_in_progress(session: Session, conversation_id: int) -> bool:
    busy = (RecoveryStatus.OPEN.value, RecoveryStatus.OFFERED.value)
    return session.execute(
        select(RecoveryCase.id).where(RecoveryCase.conversation_id == conversation_id, RecoveryCase.status.in_(busy))
    ).first() is not None


def escalate_on_sentiment(
    session: Session,
    conversation_id: int,
    *,
    intent: Optional[str],
    text: str = "",
    rules: Optional[EscalationRules] = None,
) -> Optional[Handoff]:
    """After the bot answered: hand an unhappy customer to a person, unless the bot is already
    handling the unhappiness (a complaint being recovered) or a person already has it."""
    rules = rules or escalation_rules()
    conversation = session.get(Conversation, conversation_id)
    if conversation.state != ConversationState.BOT.value:
        return None
    if (intent or "").startswith("complain_") or _recovery_in_progress(session, conversation_id):
        return None
    reason = sentiment_trigger(rules, _recent_polarities(session, conversation_id, rules.sentiment_window), text)
    if reason is None:
        return None
    handoff = escalate(session, conversation, reason=reason, rules=rules)
    return Handoff(created=handoff.created, message=f"{rules.messages['empathy']} {handoff.message}")


def holding_note(session: Session, conversation_id: int, message_id: int) -> Optional[str]:
    """While waiting for a person: a note for the first message after the handoff, then silence
    (the earlier messages still waiting are the ones nobody has handled yet)."""
    previous_handled = session.execute(
        select(Message.handled)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == Direction.CUSTOMER.value,
            Message.id < message_id,
        )
        .order_by(Message.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if previous_handled is False:
        return None
    return escalation_rules().messages["holding"]
