"""Models of the proactive follow-up (bot/followup) and of the person behind channel identities
(bot/people). Imported by bot/storage/__init__.py, so the metadata always holds them."""

from __future__ import annotations

import enum

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint

from bot.storage.models import Base, utcnow
from bot.storage.types import UTCDateTime


class FollowUpStatus(str, enum.Enum):
    SCHEDULED = "scheduled"  # waiting for its day (and for allowed hours)
    SENDING = "sending"  # claimed by one process; set back to scheduled if the send failed
    SENT = "sent"  # written to the customer (Telegram) or waiting in their widget history
    ANSWERED = "answered"  # yes, no or stop
    CANCELLED = "cancelled"  # by staff, because the customer opted out, or stuck in "sending" twice


class FollowUp(Base):
    """The check-in a few days after a recovery case ended recovered: at most one per case."""

    __tablename__ = "followups"
    __table_args__ = (
        UniqueConstraint("case_id", name="uq_followup_case"),
        Index("ix_followups_status_due", "status", "due_at"),
    )

    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("recovery_cases.id", ondelete="CASCADE"), nullable=False)
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    status = Column(String(20), nullable=False, default=FollowUpStatus.SCHEDULED.value)
    due_at = Column(UTCDateTime, nullable=False)
    claimed_at = Column(UTCDateTime)
    # Set when a crash left it in "sending" and it was put back to be tried again (once; migration 0015).
    reclaimed_at = Column(UTCDateTime)
    sent_at = Column(UTCDateTime)
    # The conversation the question was written into (the customer's answer arrives there).
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="SET NULL"))
    answer = Column(String(10))  # yes, no, stop
    answered_at = Column(UTCDateTime)
    survey_id = Column(Integer, ForeignKey("survey_responses.id", ondelete="SET NULL"))
    cancelled_by = Column(String(100))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class FollowUpOptOut(Base):
    """A customer who answered "stop": no follow-up is ever sent to them again."""

    __tablename__ = "followup_optouts"
    __table_args__ = (UniqueConstraint("customer_id", name="uq_followup_optout_customer"),)

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class Person(Base):
    """One human being behind one or more channel identities, linked only on proof."""

    __tablename__ = "persons"

    id = Column(Integer, primary_key=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class PersonIdentity(Base):
    """A channel identity (a customers row) that belongs to a person; at most one person each."""

    __tablename__ = "person_identities"

    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    person_id = Column(Integer, ForeignKey("persons.id", ondelete="CASCADE"), nullable=False, index=True)
    linked_at = Column(UTCDateTime, nullable=False, default=utcnow)
    how = Column(String(20), nullable=False)  # telegram_link, staff_merge


class LinkToken(Base):
    """A "Continue on Telegram" token: the signed link carries `nonce`; used once."""

    __tablename__ = "link_tokens"

    id = Column(Integer, primary_key=True)
    nonce = Column(String(32), nullable=False, unique=True)
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    used_at = Column(UTCDateTime)
    used_by_id = Column(Integer, ForeignKey("customers.id", ondelete="SET NULL"))


class PersonMerge(Base):
    """A staff merge of two persons; `moved_customer_ids` (JSON list) is what an undo moves back."""

    __tablename__ = "person_merges"

    id = Column(Integer, primary_key=True)
    kept_person_id = Column(Integer, ForeignKey("persons.id", ondelete="CASCADE"), nullable=False)
    merged_person_id = Column(Integer, ForeignKey("persons.id", ondelete="CASCADE"), nullable=False)
    moved_customer_ids = Column(Text, nullable=False)
    staff_user_id = Column(Integer, ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    undone_at = Column(UTCDateTime)
