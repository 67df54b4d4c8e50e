"""The handoff state machine: every change of who answers a customer, as one explicit transition.

    bot --escalate--> queued (open) --claim--> claimed --resolve--> resolved (state back to bot)
                        |   \\--time out--> timed_out (still queued, claimable)
                        \\--customer cancels--> cancelled (state back to bot)
    claimed --transfer--> claimed (by another staff member)

Each transition is a conditional UPDATE on the handoff row (`... WHERE status IN (queued)`),
checked by its rowcount: the database decides who was first, so two staff members claiming at
once, in one process or two, on SQLite or PostgreSQL, end with exactly one holder. Escalating
is an INSERT that the partial unique index `uq_handoff_one_active` allows once per conversation
while a request is active, so two triggers at once open one request. The
conversation's state follows the handoff in the same transaction. Functions here are
synchronous and leave committing to the caller; bot/desk/service.py runs them in the router's
per-conversation lock, so no customer message is stored half-way through a transition.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.conversation.messages import OutboundMessage
from bot.conversation.store import write_messages
from bot.handoff import joined
from bot.handoff.content import DeskContent
from bot.handoff.estimate import estimate_text
from bot.handoff.queries import active_request, customer_address
from bot.handoff.rules import EscalationRules, handoff_message, is_open
from bot.storage.database import savepoint
from bot.storage.models import (
    QUEUED_STATUSES,
    Conversation,
    ConversationState,
    Direction,
    HandoffEvent,
    HandoffRequest,
    HandoffStatus,
    Message,
    StaffRole,
    StaffUser,
    utcnow,
)

MAX_REPLY_CHARS = 4000

REASONS = (
    "customer_request",
    "repeated_fallback",
    "negative_sentiment",
    "very_negative_message",
    "nps_detractor",
    "difficult_ces",
    "compensation_approval",
    "compensation_cap",
    "followup_not_resolved",  # the customer answered a follow-up (bot/followup) with "no"
)


class TransitionRefused(Exception):
    """The transition does not apply to the handoff as it is now; `reason` is safe to show staff."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AlreadyClaimed(TransitionRefused):
    def __init__(self, holder: str) -> None:
        super().__init__(f"{holder} already has this conversation")
        self.holder = holder


@dataclass(frozen=True)
class Outcome:
    """What a transition changed, and what to deliver to the customer afterwards."""

    handoff_id: int
    conversation_id: int
    conversation_public_id: str
    channel: str
    sender_id: str
    messages: list[OutboundMessage] = field(default_factory=list)


@dataclass(frozen=True)
class Handoff:
    """What escalating did."""

    created: bool  # False: a request was already open (a retry, or a second trigger)
    message: str  # what to tell the customer


def _handoff(session: Session, handoff_id: int) -> HandoffRequest:
    # populate_existing: after a conditional UPDATE lost, read what the winner wrote.
    handoff = session.execute(
        select(HandoffRequest).where(HandoffRequest.id == handoff_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if handoff is None:
        raise TransitionRefused("there is no such request")
    return handoff


def _conditional(session: Session, handoff_id: int, where, **values) -> bool:
    result = session.execute(
        update(HandoffRequest)
        .where(HandoffRequest.id == handoff_id, *where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _name(session: Session, user_id: int | None) -> str:
    user = session.get(StaffUser, user_id) if user_id else None
    return user.display_name if user else "someone"


def _event(session: Session, handoff_id: int, kind: str, now: datetime, staff_id=None, to_id=None) -> None:
    session.add(
        HandoffEvent(handoff_id=handoff_id, kind=kind, staff_user_id=staff_id, to_staff_user_id=to_id, created_at=now)
    )


def store_agent_message(
    session: Session, conversation_id: int, message: OutboundMessage, *, staff_id: int | None, now: datetime
) -> OutboundMessage:
    """Store a staff message or marker as an "agent" message; returns it with its id."""
    [stored] = write_messages(
        session, conversation_id, [message], direction=Direction.AGENT, staff_id=staff_id, now=now
    )
    return stored


def marker(text: str, event: str, name: str) -> OutboundMessage:
    return OutboundMessage(text=text, custom={"event": event, "name": name})


def _mark_customer_messages_handled(session: Session, conversation_id: int) -> None:
    """A person has seen the conversation: the waiting messages are answered by them."""
    session.execute(
        update(Message)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == Direction.CUSTOMER.value,
            Message.handled.is_(False),
        )
        .values(handled=True)
        .execution_options(synchronize_session=False)
    )


def _outcome(session: Session, handoff: HandoffRequest, messages: list[OutboundMessage]) -> Outcome:
    conversation = session.get(Conversation, handoff.conversation_id)
    channel, sender = customer_address(session, conversation.id)
    return Outcome(handoff.id, conversation.id, conversation.public_id, channel, sender, messages)


def _set_state(session: Session, conversation_id: int, state: ConversationState) -> None:
    session.get(Conversation, conversation_id).state = state.value


def _queue(session: Session, conversation_id: int, reason: str, now: datetime) -> HandoffRequest | None:
    """Insert the request; None when the database refuses it: one is active already."""
    request = HandoffRequest(
        conversation_id=conversation_id, reason=reason, status=HandoffStatus.OPEN.value, created_at=now
    )
    try:
        # Warning: the partial unique index uq_handoff_one_active is what keeps this once per
        # conversation across processes; the savepoint keeps the caller's transaction usable.
        with savepoint(session):
            session.add(request)
    except IntegrityError:
        return None
    return request


def escalate(
    session: Session,
    conversation: Conversation,
    *,
    reason: str,
    rules: EscalationRules,
    desk: DeskContent,
    now: datetime | None = None,
) -> Handoff:
    """bot -> queued: record a request for a person once and put the conversation in the queue
    (the caller commits). A second request while one is active is told "already". `rules` say
    what the customer is told; `desk` words the queue estimate."""
    if reason not in REASONS:
        raise ValueError(f"unknown handoff reason {reason!r}")
    now = now or utcnow()
    request = _queue(session, conversation.id, reason, now)
    if request is None:
        return Handoff(created=False, message=handoff_message(rules, now, already=True))
    if conversation.state == ConversationState.BOT.value:
        conversation.state = ConversationState.AWAITING_HUMAN.value
    _event(session, request.id, "queued", now)
    message = handoff_message(rules, now)
    if rules.hours and is_open(rules, now):
        # People are there: say how long it will likely take (outside hours the message says when).
        message = f"{message} {estimate_text(session, request, desk.messages, now)}"
    return Handoff(created=True, message=message)


def claim(
    session: Session, handoff_id: int, staff: StaffUser, *, joined_text: str, now: datetime | None = None
) -> Outcome:
    """Give a queued request to `staff`; the first claim wins, later ones raise AlreadyClaimed."""
    now = now or utcnow()
    won = _conditional(
        session,
        handoff_id,
        [HandoffRequest.status.in_(QUEUED_STATUSES)],
        status=HandoffStatus.CLAIMED.value,
        assigned_to_id=staff.id,
        claimed_at=now,
    )
    handoff = _handoff(session, handoff_id)
    if not won:
        if handoff.status == HandoffStatus.CLAIMED.value:
            raise AlreadyClaimed(_name(session, handoff.assigned_to_id))
        raise TransitionRefused(f"this request is {handoff.status.replace('_', ' ')}")
    _set_state(session, handoff.conversation_id, ConversationState.WITH_HUMAN)
    _mark_customer_messages_handled(session, handoff.conversation_id)
    _event(session, handoff.id, "claimed", now, staff.id)
    joined = store_agent_message(
        session,
        handoff.conversation_id,
        marker(joined_text, "agent_joined", staff.display_name),
        staff_id=staff.id,
        now=now,
    )
    return _outcome(session, handoff, [joined])


def _may_act_for(staff: StaffUser, holder_id: int | None) -> bool:
    return staff.id == holder_id or staff.role in (StaffRole.MANAGER.value, StaffRole.ADMIN.value)


def _held(session: Session, handoff_id: int, staff: StaffUser) -> HandoffRequest:
    """The claimed handoff, if `staff` may act on it (its holder, or a manager)."""
    handoff = _handoff(session, handoff_id)
    if handoff.status != HandoffStatus.CLAIMED.value:
        raise TransitionRefused(f"this request is {handoff.status.replace('_', ' ')}, not claimed")
    if not _may_act_for(staff, handoff.assigned_to_id):
        raise TransitionRefused(f"{_name(session, handoff.assigned_to_id)} has this conversation")
    return handoff


def _still_held_by(holder_id: int | None):
    return [HandoffRequest.status == HandoffStatus.CLAIMED.value, HandoffRequest.assigned_to_id == holder_id]


def reply(
    session: Session,
    handoff_id: int,
    staff: StaffUser,
    text: str,
    now: datetime | None = None,
    *,
    into: int | None = None,
) -> Outcome:
    """Store the holder's reply to the customer (only the holder may answer). `into`: another
    conversation of the same person (the desk checks that), on the channel staff chose to answer on."""
    now = now or utcnow()
    text = text.strip()
    if not text:
        raise TransitionRefused("the reply is empty")
    if len(text) > MAX_REPLY_CHARS:
        raise TransitionRefused(f"the reply is longer than {MAX_REPLY_CHARS} characters")
    handoff = _handoff(session, handoff_id)
    if handoff.status != HandoffStatus.CLAIMED.value or handoff.assigned_to_id != staff.id:
        if handoff.status == HandoffStatus.CLAIMED.value:
            raise TransitionRefused(f"{_name(session, handoff.assigned_to_id)} has this conversation")
        raise TransitionRefused("claim the conversation before replying")
    target = into or handoff.conversation_id
    for answered in {handoff.conversation_id, target}:
        _mark_customer_messages_handled(session, answered)
    message = store_agent_message(
        session,
        target,
        OutboundMessage(text=text, custom={"from": "agent", "name": staff.display_name}),
        staff_id=staff.id,
        now=now,
    )
    outcome = _outcome(session, handoff, [message])
    if target == handoff.conversation_id:
        return outcome
    joined.join(session, target)  # the customer's answer there comes to this person, not the bot
    channel, sender = customer_address(session, target)  # delivered where it was recorded
    return replace(outcome, channel=channel, sender_id=sender)


def transfer(
    session: Session,
    handoff_id: int,
    staff: StaffUser,
    to: StaffUser,
    *,
    left_text: str,
    joined_text: str,
    now: datetime | None = None,
) -> Outcome:
    """Pass a claimed conversation to another active staff member."""
    now = now or utcnow()
    if not to.active:
        raise TransitionRefused(f"{to.display_name} is not an active staff member")
    handoff = _held(session, handoff_id, staff)
    holder_id = handoff.assigned_to_id
    if to.id == holder_id:
        raise TransitionRefused(f"{to.display_name} already has this conversation")
    if not _conditional(session, handoff_id, _still_held_by(holder_id), assigned_to_id=to.id, claimed_at=now):
        raise TransitionRefused("the conversation changed hands meanwhile; reload")
    holder_name = _name(session, holder_id)
    _event(session, handoff.id, "transferred", now, staff.id, to.id)
    messages = [
        store_agent_message(
            session,
            handoff.conversation_id,
            marker(left_text.format(name=holder_name), "agent_left", holder_name),
            staff_id=holder_id,
            now=now,
        ),
        store_agent_message(
            session,
            handoff.conversation_id,
            marker(joined_text.format(name=to.display_name), "agent_joined", to.display_name),
            staff_id=to.id,
            now=now,
        ),
    ]
    return _outcome(session, _handoff(session, handoff_id), messages)


def resolve(
    session: Session, handoff_id: int, staff: StaffUser, *, left_text: str, now: datetime | None = None
) -> Outcome:
    """The person is done: the handoff is resolved and the bot has the conversation again."""
    now = now or utcnow()
    handoff = _held(session, handoff_id, staff)
    holder_id = handoff.assigned_to_id
    if not _conditional(
        session,
        handoff_id,
        _still_held_by(holder_id),
        status=HandoffStatus.RESOLVED.value,
        closed_at=now,
        closed_by_id=staff.id,
    ):
        raise TransitionRefused("the conversation changed hands meanwhile; reload")
    _set_state(session, handoff.conversation_id, ConversationState.BOT)
    joined.release(session, handoff.conversation_id)
    _event(session, handoff.id, "resolved", now, staff.id)
    holder_name = _name(session, holder_id)
    left = store_agent_message(
        session, handoff.conversation_id, marker(left_text, "agent_left", holder_name), staff_id=holder_id, now=now
    )
    return _outcome(session, _handoff(session, handoff_id), [left])


def cancel_by_customer(session: Session, conversation_id: int, now: datetime | None = None) -> Outcome | None:
    """The customer said "never mind" while queued; None if nothing was queued (a person has it)."""
    now = now or utcnow()
    handoff = active_request(session, conversation_id)
    if handoff is None or handoff.status not in QUEUED_STATUSES:
        return None
    if not _conditional(
        session,
        handoff.id,
        [HandoffRequest.status.in_(QUEUED_STATUSES)],
        status=HandoffStatus.CANCELLED.value,
        closed_at=now,
    ):
        return None  # claimed meanwhile: the person answers
    _set_state(session, conversation_id, ConversationState.BOT)
    _event(session, handoff.id, "cancelled", now)
    return _outcome(session, _handoff(session, handoff.id), [])


def time_out(session: Session, handoff_id: int, now: datetime | None = None) -> bool:
    """Mark a request waited too long; it stays in the queue. False if it is no longer open."""
    now = now or utcnow()
    if not _conditional(
        session,
        handoff_id,
        [HandoffRequest.status == HandoffStatus.OPEN.value],
        status=HandoffStatus.TIMED_OUT.value,
        timed_out_at=now,
    ):
        return False
    _event(session, handoff_id, "timed_out", now)
    return True
