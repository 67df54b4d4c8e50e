"""Models of the privacy work (bot/privacy): the audit log of staff actions on customer data and
customers' requests for their data. Imported by bot/storage/__init__.py, so the metadata always
holds them."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, String, Text

from bot.storage.models import Base, utcnow
from bot.storage.types import UTCDateTime


class AuditEntry(Base):
    """One staff action on customer data (who, when, what). Append-only: nothing in the product
    updates or deletes these rows, and they name customers by row id, never by personal data."""

    __tablename__ = "audit_log"

    id = Column(Integer, primary_key=True)
    at = Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    # The name survives the account: a disabled or removed user's actions still say who.
    actor = Column(String(100), nullable=False)
    staff_user_id = Column(Integer, ForeignKey("staff_users.id", name="fk_audit_staff_user", ondelete="SET NULL"))
    action = Column(String(40), nullable=False)  # transcript_opened, export, erase, note, ...
    subject = Column(String(100), nullable=False)  # "conversation:12", "customer:7", "compensation:3"
    detail = Column(Text, nullable=False, default="")


class PrivacyRequest(Base):
    """A customer's request in chat to export or erase their data, waiting for an admin."""

    __tablename__ = "privacy_requests"

    id = Column(Integer, primary_key=True)
    customer_id = Column(Integer, ForeignKey("customers.id", ondelete="CASCADE"), nullable=False, index=True)
    conversation_id = Column(Integer, ForeignKey("conversations.id", ondelete="SET NULL"))
    kind = Column(String(10), nullable=False)  # erase | export
    status = Column(String(10), nullable=False, default="open")  # open | done
    requested_at = Column(UTCDateTime, nullable=False, default=utcnow)
    handled_by = Column(String(100))
    handled_at = Column(UTCDateTime)
