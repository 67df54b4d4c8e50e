"""What staff see: the queue with each customer's context, and one conversation in full."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.people.persons import identity_ids
from bot.storage.models import (
    ACTIVE_STATUSES,
    Compensation,
    CompensationStatus,
    Conversation,
    Customer,
    Direction,
    HandoffRequest,
    Message,
    RecoveryCase,
    StaffNote,
    StaffUser,
    SurveyResponse,
)

RECENT_MESSAGES = 3
EARLIER_CONVERSATIONS = 5  # shown above a conversation, folded


def waited(since: datetime, now: datetime) -> str:
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def mood(polarity: float | None) -> str:
    if polarity is None:
        return "—"
    label = "negative" if polarity <= -0.3 else "positive" if polarity >= 0.3 else "neutral"
    return f"{label} ({polarity:+.2f})"


@dataclass
class CustomerContext:
    name: str
    channel: str
    external_id: str
    surveys: list[str] = field(default_factory=list)  # "NPS 3", "CES difficult"
    language: str = ""  # the language the bot speaks with them ("fa", "en"), shown as a badge
    complaints: int = 0
    compensations: list[str] = field(default_factory=list)  # "CX-... coupon 10% (issued)"
    customer_id: int | None = None  # for the link to the full profile
    identities: int = 1  # channel identities of the same person (bot/people); the figures cover all


@dataclass
class QueueRow:
    handoff_id: int
    conversation_id: int
    reason: str
    status: str
    holder: str | None
    waiting: str
    sentiment: str
    customer: CustomerContext
    last_messages: list[str]


def customer_context(session: Session, customer: Customer) -> CustomerContext:
    """What staff see of the customer: surveys, complaints and compensation of every identity of
    the same person (linked on proof, bot/people), not only this channel's."""
    ids = identity_ids(session, customer.id)
    surveys = session.execute(
        select(SurveyResponse)
        .where(SurveyResponse.customer_id.in_(ids), SurveyResponse.status == "answered")
        .order_by(SurveyResponse.id.desc())
        .limit(5)
    ).scalars()
    complaints = session.execute(
        select(func.count(RecoveryCase.id)).where(RecoveryCase.customer_id.in_(ids))
    ).scalar_one()
    compensations = session.execute(
        select(Compensation).where(Compensation.customer_id.in_(ids)).order_by(Compensation.id.desc()).limit(5)
    ).scalars()
    return CustomerContext(
        name=customer.display_name or customer.external_id,
        channel=customer.channel,
        external_id=customer.external_id,
        language=(customer.locale or "")[:8],
        surveys=[f"{s.kind.upper()} {s.answer or s.score}" for s in surveys],
        complaints=complaints,
        compensations=[f"{c.code} {c.kind.replace('_', ' ')} ({c.status.replace('_', ' ')})" for c in compensations],
        customer_id=customer.id,
        identities=len(ids),
    )


def _names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(StaffUser.id, StaffUser.display_name)).all())


def last_customer_messages(session: Session, conversation_id: int, limit: int = RECENT_MESSAGES) -> list[Message]:
    rows = (
        session.execute(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.direction == Direction.CUSTOMER.value)
            .order_by(Message.id.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
    return list(reversed(rows))


def queue(session: Session, now: datetime) -> list[QueueRow]:
    """Open, timed-out and claimed requests: the waiting ones first, longest wait first."""
    names = _names(session)
    handoffs = (
        session.execute(
            select(HandoffRequest).where(HandoffRequest.status.in_(ACTIVE_STATUSES)).order_by(HandoffRequest.id)
        )
        .scalars()
        .all()
    )
    rows = [_queue_row(session, handoff, names, now) for handoff in handoffs]
    rows.sort(key=lambda row: (row.status == "claimed", row.handoff_id))
    return rows


def handoff_row(session: Session, handoff_id: int, now: datetime) -> QueueRow | None:
    """One request as the queue shows it, whatever its status (a resolved post keeps its content)."""
    handoff = session.get(HandoffRequest, handoff_id)
    return _queue_row(session, handoff, _names(session), now) if handoff is not None else None


def _queue_row(session: Session, handoff: HandoffRequest, names: dict[int, str], now: datetime) -> QueueRow:
    conversation = session.get(Conversation, handoff.conversation_id)
    customer = session.get(Customer, conversation.customer_id)
    recent = last_customer_messages(session, conversation.id)
    last_polarity = next((m.polarity for m in reversed(recent) if m.polarity is not None), None)
    return QueueRow(
        handoff_id=handoff.id,
        conversation_id=conversation.id,
        reason=handoff.reason.replace("_", " "),
        status=handoff.status,
        holder=names.get(handoff.assigned_to_id) if handoff.assigned_to_id else None,
        waiting=waited(handoff.created_at, now),
        sentiment=f"last {mood(last_polarity)}, overall {mood(conversation.sentiment_rolling)}",
        customer=customer_context(session, customer),
        last_messages=[m.shown_text for m in recent],
    )


@dataclass
class TranscriptEntry:
    id: int
    direction: str  # customer, bot, agent
    text: str
    at: datetime
    author: str | None = None
    sentiment: str | None = None
    event: str | None = None  # agent_joined / agent_left markers
    missed: bool = False  # a customer message a crash left unanswered too long to answer late


@dataclass
class EarlierConversation:
    """A conversation the customer had before, shown folded above the current one."""

    conversation_id: int
    started_at: datetime
    entries: list[TranscriptEntry]


@dataclass
class ConversationView:
    conversation_id: int
    state: str
    customer: CustomerContext
    entries: list[TranscriptEntry]
    notes: list[tuple[str, datetime, str]]
    handoff: HandoffRequest | None
    holder: str | None
    holder_id: int | None
    pending_compensations: list[Compensation]
    earlier: list[EarlierConversation] = field(default_factory=list)


def _custom(row: Message) -> dict:
    custom = row.payload_data().get("custom")
    return custom if isinstance(custom, dict) else {}


def transcript_entries(session: Session, conversation_id: int, names: dict[int, str]) -> list[TranscriptEntry]:
    entries = []
    for row in session.execute(
        select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
    ).scalars():
        custom = _custom(row)
        entries.append(
            TranscriptEntry(
                id=row.id,
                direction=row.direction,
                text=row.shown_text,
                at=row.created_at,
                author=names.get(row.staff_user_id) if row.staff_user_id else None,
                sentiment=mood(row.polarity)
                if row.direction == Direction.CUSTOMER.value and row.polarity is not None
                else None,
                event=custom.get("event") if custom.get("event") in ("agent_joined", "agent_left") else None,
                missed=row.missed_at is not None,
            )
        )
    return entries


def _earlier(session: Session, conversation: Conversation, names: dict[int, str]) -> list[EarlierConversation]:
    """The customer's conversations before this one, oldest first (at most EARLIER_CONVERSATIONS)."""
    rows = session.execute(
        select(Conversation)
        .where(Conversation.customer_id == conversation.customer_id, Conversation.id < conversation.id)
        .order_by(Conversation.id.desc())
        .limit(EARLIER_CONVERSATIONS)
    ).scalars()
    earlier = [EarlierConversation(row.id, row.started_at, transcript_entries(session, row.id, names)) for row in rows]
    return [past for past in reversed(earlier) if past.entries]


def conversation_view(session: Session, conversation_id: int) -> ConversationView | None:
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        return None
    names = _names(session)
    customer = session.get(Customer, conversation.customer_id)
    entries = transcript_entries(session, conversation_id, names)
    notes = [
        # No author: a note the bot left with a remedy (a staff report, a delivery to chase).
        ("the bot" if note.author_id is None else names.get(note.author_id, "someone"), note.created_at, note.text)
        for note in session.execute(
            select(StaffNote).where(StaffNote.conversation_id == conversation_id).order_by(StaffNote.id)
        ).scalars()
    ]
    handoff = session.execute(
        select(HandoffRequest)
        .where(HandoffRequest.conversation_id == conversation_id)
        .order_by(HandoffRequest.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    pending = list(
        session.execute(
            select(Compensation)
            .where(
                Compensation.conversation_id == conversation_id,
                Compensation.status == CompensationStatus.PENDING_APPROVAL.value,
            )
            .order_by(Compensation.id)
        ).scalars()
    )
    holder_id = handoff.assigned_to_id if handoff is not None and handoff.status == "claimed" else None
    return ConversationView(
        conversation_id=conversation_id,
        state=conversation.state,
        customer=customer_context(session, customer),
        entries=entries,
        notes=notes,
        handoff=handoff,
        holder=names.get(holder_id) if holder_id else None,
        holder_id=holder_id,
        pending_compensations=pending,
        earlier=_earlier(session, conversation, names),
    )
