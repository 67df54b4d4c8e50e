"""Follow-ups in the database: scheduled from recovered cases, claimed once, written, cancelled.

Every step is a query that holds across processes: a unique case id (one follow-up per case), and
a conditional UPDATE checked by its row count to claim one for sending (replicas never both send).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.conversation import store
from bot.conversation.messages import Button, OutboundMessage
from bot.followup.content import FollowUpContent
from bot.people.persons import identity_ids
from bot.storage.database import savepoint
from bot.storage.followups import FollowUp, FollowUpOptOut, FollowUpStatus
from bot.storage.models import (
    Conversation,
    ConversationState,
    Customer,
    Direction,
    Message,
    RecoveryCase,
    RecoveryStatus,
)

# Channels that can carry a follow-up: Telegram pushes it, the widget shows it on the next visit.
PUSHED = ("telegram",)
HELD = ("widget",)
# A case settled longer ago than its delay plus this is not followed up (e.g. cases from before
# follow-ups existed): a check-in weeks late reads as a mistake.
TOO_LATE = timedelta(days=7)
RESPONSE = "utter_followup"
# A claim older than this with no question written means the process died between the two steps
# (writing takes well under a second): the follow-up is tried again, once.
SENDING_TIMEOUT = timedelta(minutes=10)
GAVE_UP = "stuck in sending twice"


@dataclass(frozen=True)
class Due:
    followup_id: int
    channel: str
    sender_id: str
    messages: list[OutboundMessage]


def _talked_to_bot(customer_id):
    return exists().where(
        Message.conversation_id == Conversation.id,
        Conversation.customer_id == customer_id,
        Message.direction == Direction.CUSTOMER.value,
    )


def opted_out(session: Session, customer_id: int) -> bool:
    """Whether this customer, or another identity of the same person, said "stop"."""
    ids = identity_ids(session, customer_id)
    return session.execute(select(FollowUpOptOut.id).where(FollowUpOptOut.customer_id.in_(ids))).first() is not None


def schedule_recovered(session: Session, content: FollowUpContent, now: datetime) -> int:
    """A follow-up for each recently recovered case that has none; the number scheduled."""
    rows = session.execute(
        select(RecoveryCase, Customer)
        .join(Customer, RecoveryCase.customer_id == Customer.id)
        .where(
            RecoveryCase.status == RecoveryStatus.RECOVERED.value,
            RecoveryCase.closed_at.is_not(None),
            RecoveryCase.closed_at > now - timedelta(days=max(content.after_days.values(), default=0)) - TOO_LATE,
            Customer.channel.in_(PUSHED + HELD),
            ~exists().where(FollowUp.case_id == RecoveryCase.id),
            ~exists().where(FollowUpOptOut.customer_id == Customer.id),
            _talked_to_bot(Customer.id),
        )
    ).all()
    scheduled = 0
    for case, customer in rows:
        due = case.closed_at + content.delay(case.category)
        if due + TOO_LATE < now or opted_out(session, customer.id):
            continue
        try:
            # Another replica may schedule the same case at the same moment: the unique case id decides.
            with savepoint(session):
                session.add(FollowUp(case_id=case.id, customer_id=customer.id, channel=customer.channel, due_at=due))
                session.flush()
            scheduled += 1
        except IntegrityError:
            continue
    return scheduled


def due_ids(session: Session, now: datetime, limit: int = 50) -> list[int]:
    return list(
        session.execute(
            select(FollowUp.id)
            .where(FollowUp.status == FollowUpStatus.SCHEDULED.value, FollowUp.due_at <= now)
            .order_by(FollowUp.due_at)
            .limit(limit)
        ).scalars()
    )


def claim(session: Session, followup_id: int, now: datetime) -> bool:
    """Take one due follow-up for sending; False when another process (or a cancel) was first.

    Warning: this row count is the only thing that keeps two replicas from both sending.
    """
    result = session.execute(
        update(FollowUp)
        .where(FollowUp.id == followup_id, FollowUp.status == FollowUpStatus.SCHEDULED.value)
        .values(status=FollowUpStatus.SENDING.value, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def reclaim_stale(session: Session, now: datetime) -> tuple[int, int]:
    """Follow-ups a crash left in "sending": back to scheduled the first time, cancelled (shown to
    staff) the second, so a follow-up that kills its process is never tried a third time.
    (retried, given up). Nothing was written for them: `write` marks a follow-up sent in the
    same transaction as its question, so "sending" means no question exists yet."""
    stale = (FollowUp.status == FollowUpStatus.SENDING.value, FollowUp.claimed_at < now - SENDING_TIMEOUT)
    # Two statements, not one with CASE: the two counts are reported apart, and one UPDATE's row
    # count cannot split them (SQLite under SQLAlchemy 1.4 has no RETURNING).
    retried = session.execute(
        update(FollowUp)
        .where(*stale, FollowUp.reclaimed_at.is_(None))
        .values(status=FollowUpStatus.SCHEDULED.value, reclaimed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    gave_up = session.execute(
        update(FollowUp)
        .where(*stale, FollowUp.reclaimed_at.is_not(None))
        .values(status=FollowUpStatus.CANCELLED.value, cancelled_by=GAVE_UP)
        .execution_options(synchronize_session=False)
    ).rowcount
    return retried, gave_up


def question(content: FollowUpContent, case: RecoveryCase, locale: str | None) -> OutboundMessage:
    wording = content.words_for(locale)
    buttons = tuple(Button(title=wording.buttons[a], payload=f"/followup_{a}") for a in ("yes", "no", "stop"))
    return OutboundMessage(text=wording.question(case.category), buttons=buttons, response=RESPONSE)


def _conversation_for(session: Session, customer: Customer, now: datetime) -> Conversation | None:
    """The customer's open conversation if the bot holds it, a new one if none is open; None while
    a person is involved (the follow-up waits rather than talk over them)."""
    open_one = session.execute(
        select(Conversation)
        .where(Conversation.customer_id == customer.id, Conversation.ended_at.is_(None))
        .order_by(Conversation.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if open_one is not None and open_one.state != ConversationState.BOT.value:
        return None
    if open_one is not None:
        return open_one
    conversation = Conversation(
        customer_id=customer.id,
        channel=customer.channel,
        started_at=now,
        last_activity_at=now,
        customer_message_count=0,
    )
    session.add(conversation)
    session.flush()
    return conversation


def write(session: Session, content: FollowUpContent, followup_id: int, now: datetime) -> Due | None:
    """Write the claimed follow-up's question into the customer's conversation; None when it must
    not go now (opted out since, or a person is talking with them): then it is scheduled again or
    cancelled."""
    followup = session.get(FollowUp, followup_id)
    if followup.status != FollowUpStatus.SENDING.value or followup.claimed_at != now:
        return None  # reclaimed meanwhile (this process was too slow) and claimed by another
    customer = session.get(Customer, followup.customer_id)
    if opted_out(session, customer.id):
        followup.status, followup.cancelled_by = FollowUpStatus.CANCELLED.value, "opt-out"
        return None
    conversation = _conversation_for(session, customer, now)
    if conversation is None:
        followup.status = FollowUpStatus.SCHEDULED.value
        return None
    case = session.get(RecoveryCase, followup.case_id)
    messages = store.write_messages(session, conversation.id, [question(content, case, customer.locale)], now=now)
    followup.conversation_id = conversation.id
    followup.status, followup.sent_at = FollowUpStatus.SENT.value, now
    return Due(followup.id, customer.channel, customer.external_id, messages)


def unsend(session: Session, followup_id: int, message_ids: Sequence[int]) -> None:
    """The push failed: forget the written question and try again at the next check."""
    for message_id in message_ids:
        row = session.get(Message, message_id)
        if row is not None:
            session.delete(row)
    followup = session.get(FollowUp, followup_id)
    followup.status, followup.sent_at, followup.conversation_id = FollowUpStatus.SCHEDULED.value, None, None


def cancel(session: Session, followup_id: int, *, by: str) -> bool:
    """Staff cancel a follow-up not sent yet; False when it was sent, answered or cancelled already."""
    result = session.execute(
        update(FollowUp)
        .where(FollowUp.id == followup_id, FollowUp.status == FollowUpStatus.SCHEDULED.value)
        .values(status=FollowUpStatus.CANCELLED.value, cancelled_by=by[:100])
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def listing(session: Session, limit: int = 200) -> list[tuple[FollowUp, RecoveryCase, Customer]]:
    """The newest follow-ups with their case and customer, for the desk."""
    return [
        (f, c, u)
        for f, c, u in session.execute(
            select(FollowUp, RecoveryCase, Customer)
            .join(RecoveryCase, FollowUp.case_id == RecoveryCase.id)
            .join(Customer, FollowUp.customer_id == Customer.id)
            .order_by(FollowUp.due_at.desc())
            .limit(limit)
        ).all()
    ]
