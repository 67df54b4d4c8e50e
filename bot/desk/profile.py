"""The person behind a conversation, as the desk's customer panel shows them: every conversation of
every linked identity (bot/people), complaints with their outcome, compensation with its status,
survey answers over time, the sentiment trend, the language and the staff notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.desk.views import TranscriptEntry, transcript_entries
from bot.handoff.transitions import TransitionRefused
from bot.people.persons import identity_ids
from bot.storage.models import (
    Compensation,
    Conversation,
    Customer,
    Direction,
    Message,
    RecoveryCase,
    StaffNote,
    StaffUser,
    SurveyResponse,
    utcnow,
)

CONVERSATIONS = 30  # the newest ones, each folded; the profile page lists them all
TREND_POINTS = 30  # the customer's last scored messages in the sparkline
SPARK_WIDTH, SPARK_HEIGHT = 160, 40


@dataclass
class Channel:
    """One identity of the person: where staff can answer them."""

    customer_id: int
    channel: str
    name: str


@dataclass
class PastConversation:
    conversation_id: int
    channel: str
    started_at: datetime
    state: str
    entries: list[TranscriptEntry]
    current: bool = False


@dataclass
class Trend:
    """Customer message polarity (-1..+1) over time, drawn as a small inline SVG."""

    values: list[float] = field(default_factory=list)

    @property
    def points(self) -> str:
        """The polyline's points: time left to right, +1 at the top, -1 at the bottom."""
        if not self.values:
            return ""
        step = SPARK_WIDTH / max(1, len(self.values) - 1)
        half = SPARK_HEIGHT / 2
        return " ".join(f"{i * step:.1f},{half - v * (half - 2):.1f}" for i, v in enumerate(self.values))

    @property
    def summary(self) -> str:
        if not self.values:
            return "no scored messages"
        return f"first {self.values[0]:+.2f}, latest {self.values[-1]:+.2f} ({len(self.values)} messages)"


@dataclass
class PersonProfile:
    customer_id: int
    language: str
    channels: list[Channel]
    conversations: list[PastConversation]
    complaints: list[RecoveryCase]
    compensations: list[Compensation]
    surveys: list[SurveyResponse]  # answered, oldest first
    trend: Trend
    notes: list[tuple[str, datetime, int, str]]  # author, when, conversation id, text


def _conversations(session: Session, ids: list[int], current: int | None, names: dict[int, str]):
    rows = session.execute(
        select(Conversation)
        .where(Conversation.customer_id.in_(ids))
        .order_by(Conversation.started_at.desc(), Conversation.id.desc())
        .limit(CONVERSATIONS)
    ).scalars()
    return [
        PastConversation(
            row.id,
            row.channel,
            row.started_at,
            row.state,
            transcript_entries(session, row.id, names),
            current=row.id == current,
        )
        for row in rows
    ]


def _trend(session: Session, ids: list[int]) -> Trend:
    values = session.execute(
        select(Message.polarity)
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(
            Conversation.customer_id.in_(ids),
            Message.direction == Direction.CUSTOMER.value,
            Message.polarity.is_not(None),
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(TREND_POINTS)
    ).scalars()
    return Trend([max(-1.0, min(1.0, float(v))) for v in reversed(list(values))])


def _notes(session: Session, ids: list[int], names: dict[int, str]) -> list[tuple[str, datetime, int, str]]:
    rows = session.execute(
        select(StaffNote)
        .join(Conversation, StaffNote.conversation_id == Conversation.id)
        .where(Conversation.customer_id.in_(ids))
        .order_by(StaffNote.id)
    ).scalars()
    # No author: a note the bot left with a remedy or a follow-up.
    return [
        (names.get(n.author_id, "someone") if n.author_id else "the bot", n.created_at, n.conversation_id, n.text)
        for n in rows
    ]


def _rows(session: Session, model, ids: list[int], order):
    return list(session.execute(select(model).where(model.customer_id.in_(ids)).order_by(order)).scalars())


def person_profile(session: Session, customer_id: int, current_conversation: int | None = None) -> PersonProfile | None:
    """The profile of the person this customer (channel identity) belongs to."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        return None
    ids = identity_ids(session, customer_id)
    names = dict(session.execute(select(StaffUser.id, StaffUser.display_name)).all())
    identities = list(session.execute(select(Customer).where(Customer.id.in_(ids)).order_by(Customer.id)).scalars())
    # The language the bot speaks with them now: this identity's, else the latest one known.
    known = [c for c in sorted(identities, key=lambda c: c.last_seen) if c.locale]
    language = customer.locale or (known[-1].locale if known else "") or ""
    surveys = [s for s in _rows(session, SurveyResponse, ids, SurveyResponse.answered_at) if s.status == "answered"]
    return PersonProfile(
        customer_id=customer_id,
        language=language[:8],
        channels=[Channel(c.id, c.channel, c.display_name or c.external_id) for c in identities],
        conversations=_conversations(session, ids, current_conversation, names),
        complaints=_rows(session, RecoveryCase, ids, RecoveryCase.id.desc()),
        compensations=_rows(session, Compensation, ids, Compensation.id.desc()),
        surveys=surveys,
        trend=_trend(session, ids),
        notes=_notes(session, ids, names),
    )


def answer_on(session: Session, conversation_id: int, via: int | None, now: datetime | None = None) -> int | None:
    """The conversation a staff reply goes into when staff chose another channel of the person:
    the latest conversation of that identity (a new one if it has none); None for this one."""
    current = session.get(Conversation, conversation_id)
    if via is None or current is None or via == current.customer_id:
        return None
    if via not in identity_ids(session, current.customer_id):
        raise TransitionRefused("that channel is not this customer's")
    latest = session.execute(
        select(Conversation.id).where(Conversation.customer_id == via).order_by(Conversation.id.desc()).limit(1)
    ).scalar_one_or_none()
    if latest is not None:
        return latest
    customer = session.get(Customer, via)
    now = now or utcnow()
    fresh = Conversation(customer_id=via, channel=customer.channel, started_at=now, last_activity_at=now)
    session.add(fresh)
    session.flush()
    return fresh.id


def identity_address(session: Session, customer_id: int) -> list[tuple[str, str]]:
    """(channel, sender id) of one identity, [] if there is none: whose lock a reply there takes."""
    customer = session.get(Customer, customer_id)
    return [(customer.channel, customer.external_id)] if customer is not None else []
