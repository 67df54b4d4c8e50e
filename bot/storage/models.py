"""Database models. Schema changes go through Alembic (bot/storage/migrations), never create_all."""

from __future__ import annotations

import enum
import json
import uuid
from datetime import datetime, timezone

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.orm import DeclarativeMeta, registry, relationship

from bot.storage.titles import readable
from bot.storage.types import UTCDateTime

_registry = registry()


class Base(metaclass=DeclarativeMeta):
    """The models' base, spelled out (SQLAlchemy 1.4's documented form) so type checkers see a class."""

    __abstract__ = True
    registry = _registry
    metadata = _registry.metadata
    __init__ = _registry.constructor


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_public_id() -> str:
    return uuid.uuid4().hex


class ConversationState(str, enum.Enum):
    BOT = "bot"
    AWAITING_HUMAN = "awaiting_human"
    WITH_HUMAN = "with_human"


class Direction(str, enum.Enum):
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_customer_channel_external"),)

    id = Column(Integer, primary_key=True)
    channel = Column(String(32), nullable=False)
    external_id = Column(String(128), nullable=False)
    display_name = Column(String(200))
    locale = Column(String(16))
    first_seen = Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen = Column(UTCDateTime, nullable=False, default=utcnow)

    conversations = relationship("Conversation", back_populates="customer")


class Conversation(Base):
    __tablename__ = "conversations"

    id = Column(Integer, primary_key=True)
    public_id = Column(String(32), nullable=False, unique=True, default=new_public_id)
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    state = Column(String(20), nullable=False, default=ConversationState.BOT.value)
    started_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_activity_at = Column(UTCDateTime, nullable=False, default=utcnow)
    ended_at = Column(UTCDateTime)
    # Exponential moving average of customer message polarity (-1..1); None until scored.
    sentiment_rolling = Column(Float)
    customer_message_count = Column(Integer, nullable=False, default=0)

    customer = relationship("Customer", back_populates="conversations")
    messages = relationship("Message", back_populates="conversation", order_by="Message.id")


UNANSWERED = "direction = 'customer' AND answered_at IS NULL AND missed_at IS NULL"


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "external_id", name="uq_message_conversation_external"),
        # The start-up recovery reads only the few unanswered customer messages (migration 0009).
        Index(
            "ix_messages_unanswered",
            "created_at",
            sqlite_where=sql_text(UNANSWERED),
            postgresql_where=sql_text(UNANSWERED),
        ),
    )

    id = Column(Integer, primary_key=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True)
    direction = Column(String(16), nullable=False)
    text = Column(Text, nullable=False, default="")
    # Buttons and custom payloads of bot messages, as JSON text.
    payload = Column(Text)
    # The channel's own message id, so a retried delivery takes effect once.
    external_id = Column(String(128))
    # Bot replies point at the customer message they answer.
    reply_to_id = Column(Integer, ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    intent = Column(String(100))
    intent_confidence = Column(Float)
    # Bot messages: the response that produced them (utter_...), so reports query, not match text.
    response = Column(String(100))
    polarity = Column(Float)
    subjectivity = Column(Float)
    handled = Column(Boolean, nullable=False, default=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    # Bot and staff messages: when the channel confirmed it reached the customer (Telegram), so a
    # redelivered update sends again only what never arrived, even after a restart.
    delivered_at = Column(UTCDateTime)
    # Who wrote an "agent" message (a staff reply or a joined/left marker).
    staff_user_id = Column(Integer, ForeignKey("staff_users.id", name="fk_messages_staff_user", ondelete="SET NULL"))
    # A customer's button tap: the title they saw; `text` keeps the payload Rasa read.
    button_title = Column(String(200))
    # Customer messages: when their turn was stored (replies, a holding note, passed to staff).
    # Unset means stored but never answered: the process died in between (see the router's claim).
    answered_at = Column(UTCDateTime)
    # The claim on an unanswered message: which process answers it, since when.
    answering_by = Column(String(64))
    answering_since = Column(UTCDateTime)
    # Found unanswered too late to answer (after a crash): shown to staff instead.
    missed_at = Column(UTCDateTime)

    conversation = relationship("Conversation", back_populates="messages")

    @property
    def shown_text(self) -> str:
        """What staff and managers read: a tapped button's title rather than its payload."""
        return self.button_title or readable(self.text)

    def payload_data(self) -> dict:
        """The stored payload as a dict ({} when there is none or it is not a JSON object)."""
        if not self.payload:
            return {}
        try:
            data = json.loads(self.payload)
        except json.JSONDecodeError:
            return {}
        return data if isinstance(data, dict) else {}


class FaqFeedback(Base):
    """The customer's answer to "did that answer your question?"."""

    __tablename__ = "faq_feedback"
    __table_args__ = (UniqueConstraint("conversation_id", "question_key", name="uq_faq_feedback_question"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True)
    topic = Column(String(100), nullable=False)
    # Identifies the FAQ answer being rated, so a double tap records one answer.
    question_key = Column(String(64), nullable=False)
    helpful = Column(Boolean, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class HandoffStatus(str, enum.Enum):
    OPEN = "open"  # queued, nobody has it yet
    TIMED_OUT = "timed_out"  # queued longer than the desk's limit: the customer was told; still claimable
    CLAIMED = "claimed"  # one staff member has the conversation
    RESOLVED = "resolved"  # handed back to the bot
    CANCELLED = "cancelled"  # the customer said "never mind" while queued


QUEUED_STATUSES = (HandoffStatus.OPEN.value, HandoffStatus.TIMED_OUT.value)
ACTIVE_STATUSES = QUEUED_STATUSES + (HandoffStatus.CLAIMED.value,)


class StaffRole(str, enum.Enum):
    AGENT = "agent"  # answers customers
    MANAGER = "manager"  # also approves compensation and reassigns anyone's conversation
    ADMIN = "admin"  # also manages staff users


class StaffUser(Base):
    __tablename__ = "staff_users"

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    # The first name customers see in "A team member (Ana) has joined".
    display_name = Column(String(100), nullable=False)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    telegram_user_id = Column(BigInteger, unique=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at = Column(UTCDateTime)


class StaffSession(Base):
    """A console login; the cookie holds a random token, the database only its SHA-256."""

    __tablename__ = "staff_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    user_id = Column(Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime, nullable=False)


class HandoffRequest(Base):
    """A customer's request for a person, from the queue to the hand-back (see bot/handoff/transitions.py)."""

    __tablename__ = "handoff_requests"
    # At most one active request per conversation, across processes (migration 0006).
    __table_args__ = (
        Index(
            "uq_handoff_one_active",
            "conversation_id",
            unique=True,
            sqlite_where=sql_text("status IN ('open', 'timed_out', 'claimed')"),
            postgresql_where=sql_text("status IN ('open', 'timed_out', 'claimed')"),
        ),
    )

    id = Column(Integer, primary_key=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True)
    reason = Column(String(40), nullable=False)
    status = Column(String(20), nullable=False, default=HandoffStatus.OPEN.value, index=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    closed_at = Column(UTCDateTime)
    assigned_to_id = Column(Integer, ForeignKey("staff_users.id", name="fk_handoff_assigned_to", ondelete="SET NULL"))
    claimed_at = Column(UTCDateTime)
    timed_out_at = Column(UTCDateTime)
    closed_by_id = Column(Integer, ForeignKey("staff_users.id", name="fk_handoff_closed_by", ondelete="SET NULL"))


class HandoffEvent(Base):
    """The history of a handoff: queued, claimed, transferred, timed_out, resolved, cancelled."""

    __tablename__ = "handoff_events"

    id = Column(Integer, primary_key=True)
    handoff_id = Column(Integer, ForeignKey("handoff_requests.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(20), nullable=False)
    staff_user_id = Column(Integer, ForeignKey("staff_users.id", ondelete="SET NULL"))
    to_staff_user_id = Column(Integer, ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class StaffNote(Base):
    """An internal note on a conversation: staff see it, the customer never does."""

    __tablename__ = "staff_notes"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True)
    author_id = Column(Integer, ForeignKey("staff_users.id", ondelete="SET NULL"))
    text = Column(Text, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class StaffChatPost(Base):
    """A bot message in the Telegram staff chat, so a staff member's reply to it finds its handoff."""

    __tablename__ = "staff_chat_posts"
    __table_args__ = (UniqueConstraint("chat_id", "message_id", name="uq_staff_chat_post"),)

    id = Column(Integer, primary_key=True)
    chat_id = Column(BigInteger, nullable=False)
    message_id = Column(BigInteger, nullable=False)
    handoff_id = Column(Integer, ForeignKey("handoff_requests.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(16), nullable=False)  # announce | relay
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class CompensationStatus(str, enum.Enum):
    ISSUED = "issued"
    PENDING_APPROVAL = "pending_approval"
    DECLINED = "declined"
    REDEEMED = "redeemed"


class CompensationPurpose(str, enum.Enum):
    REMEDY = "remedy"  # fixes the problem itself: a refund of an overcharge, a replacement
    GOODWILL = "goodwill"  # the gesture after the remedy: a coupon, free delivery


class Compensation(Base):
    """The compensation ledger: one row per coupon, refund or replacement offered."""

    __tablename__ = "compensations"
    __table_args__ = (UniqueConstraint("conversation_id", "idempotency_key", name="uq_compensation_idempotency"),)

    id = Column(Integer, primary_key=True)
    code = Column(String(20), nullable=False, unique=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True)
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(30), nullable=False)
    # remedy or goodwill (CompensationPurpose); rows from before 0011 are all goodwill.
    purpose = Column(String(10), nullable=False, default=CompensationPurpose.GOODWILL.value, server_default="goodwill")
    amount_cents = Column(Integer)  # money, never float; None for a refund whose amount a person looks up
    percent = Column(Integer)
    currency = Column(String(3), nullable=False)
    category = Column(String(40), nullable=False)
    severity = Column(String(10), nullable=False)
    reason = Column(Text, nullable=False, default="")
    status = Column(String(20), nullable=False)
    # Set by whoever retries the request (a button payload, a request id): same key, same row.
    idempotency_key = Column(String(64), nullable=False)
    decided_by = Column(String(100))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    decided_at = Column(UTCDateTime)


class SurveyResponse(Base):
    """One survey offered in a conversation, and its answer once given (CES, NPS or CSAT)."""

    __tablename__ = "survey_responses"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True)
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = Column(String(10), nullable=False)  # ces, nps, csat
    status = Column(String(10), nullable=False)  # offered, answered, skipped
    # Who handled the conversation when the survey was sent: "bot" or a staff user name.
    handled_by = Column(String(100), nullable=False, default="bot")
    score = Column(Integer)  # NPS 0-10, CSAT 1-7, CES -2..+2
    answer = Column(String(20))  # the CES answer key (very_easy ... very_difficult)
    comment = Column(Text)
    comment_polarity = Column(Float)
    offered_at = Column(UTCDateTime, nullable=False, default=utcnow)
    answered_at = Column(UTCDateTime)


class RecoveryStatus(str, enum.Enum):
    OPEN = "open"  # details being collected
    OFFERED = "offered"  # a compensation was offered, no answer yet
    RECOVERED = "recovered"  # compensation issued (or approved by a person)
    PENDING_APPROVAL = "pending_approval"  # accepted, waiting for a person to approve
    DECLINED = "declined"  # the customer declined the offer
    CANCELLED = "cancelled"  # the customer said "never mind"
    ESCALATED = "escalated"  # handed to a person without a compensation (cap, survey, request)
    REFUSED = "refused"  # a person on the staff desk declined the compensation awaiting approval


class RecoveryCase(Base):
    """One complaint, or a detractor/difficult survey answer, and how it was settled."""

    __tablename__ = "recovery_cases"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True)
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True)
    source = Column(String(20), nullable=False)  # complaint, nps_detractor, difficult_ces
    category = Column(String(40), nullable=False)
    severity = Column(String(10), nullable=False)
    order_number = Column(String(40))
    description = Column(Text)
    status = Column(String(20), nullable=False, default=RecoveryStatus.OPEN.value)
    compensation_id = Column(Integer, ForeignKey("compensations.id", ondelete="SET NULL"))  # the goodwill
    # The remedy done (content/compensation.yml remedies): refund_overcharge, replacement, item_refund,
    # delivery_follow_up, staff_report, workaround, team_follow_up; None until it is done.
    remedy = Column(String(30))
    remedy_id = Column(Integer, ForeignKey("compensations.id", ondelete="SET NULL"))  # its ledger row, if any
    stated_amount_cents = Column(Integer)  # an amount the customer typed, in the shop's currency
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    closed_at = Column(UTCDateTime)
