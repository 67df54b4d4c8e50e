"""The staff chat's posts: which bot message there is about which handoff, and what a post says
(the queries behind bot/desk/telegram_staff.py, which itself only talks to Telegram)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.desk import views
from bot.storage.models import (
    ACTIVE_STATUSES,
    Conversation,
    HandoffRequest,
    Message,
    StaffChatPost,
    StaffUser,
    utcnow,
)


@dataclass(frozen=True)
class Post:
    chat_id: int
    message_id: int


@dataclass(frozen=True)
class Relay:
    """A customer's message for the person who has them, and where it goes in the staff chat."""

    text: str
    customer: str
    holder_telegram_id: int | None
    announcement: Post | None


@dataclass(frozen=True)
class HandoffStatus:
    status: str
    holder: str  # the holder's display name, "" if nobody has it
    summary: str  # the announcement's text (kept once the request is over)
    announcement: Post | None
    closed_by: str = ""  # who resolved it, "" if nobody did
    closed_at: datetime | None = None


def record(session: Session, *, chat_id: int, message_id: int, handoff_id: int, kind: str) -> None:
    """Remember a bot message in a staff chat (`kind` announce or relay); the caller's commit
    raises IntegrityError if it was recorded already."""
    session.add(
        StaffChatPost(chat_id=chat_id, message_id=message_id, handoff_id=handoff_id, kind=kind, created_at=utcnow())
    )


def announcement(session: Session, handoff_id: int) -> Post | None:
    """The staff chat message that announced this request, if there was one."""
    row = session.execute(
        select(StaffChatPost.chat_id, StaffChatPost.message_id)
        .where(StaffChatPost.handoff_id == handoff_id, StaffChatPost.kind == "announce")
        .order_by(StaffChatPost.id)
        .limit(1)
    ).first()
    return Post(row.chat_id, row.message_id) if row is not None else None


def handoff_of(session: Session, chat_id: int, message_id: int) -> int | None:
    """The handoff a staff chat message is about (a staff member replied to it)."""
    return session.execute(
        select(StaffChatPost.handoff_id).where(StaffChatPost.chat_id == chat_id, StaffChatPost.message_id == message_id)
    ).scalar()


def summary(session: Session, handoff_id: int) -> str:
    """The announcement of a waiting request: who, why, their mood and last words; "" if it is
    no longer in the queue."""
    row = views.handoff_row(session, handoff_id, utcnow())
    return _summary_text(row) if row is not None and row.status in ACTIVE_STATUSES else ""


def _summary_text(row: views.QueueRow) -> str:
    recent = "\n".join(f"• {text[:300]}" for text in row.last_messages) or "• (no messages)"
    return (
        f"🔔 {row.customer.name} ({row.customer.channel}) is waiting for a person\n"
        f"Reason: {row.reason}\n"
        f"Sentiment: {row.sentiment}\n"
        f"Last messages:\n{recent}\n"
        f"Console: /desk/conversations/{row.conversation_id}"
    )


def _holder(session: Session, handoff: HandoffRequest) -> StaffUser | None:
    return session.get(StaffUser, handoff.assigned_to_id) if handoff.assigned_to_id else None


def relay(session: Session, handoff_id: int, message_id: int) -> Relay:
    handoff = session.get(HandoffRequest, handoff_id)
    holder = _holder(session, handoff)
    conversation = session.get(Conversation, handoff.conversation_id)
    return Relay(
        text=session.get(Message, message_id).shown_text,
        customer=views.customer_context(session, conversation.customer).name,
        holder_telegram_id=holder.telegram_user_id if holder is not None else None,
        announcement=announcement(session, handoff_id),
    )


def status(session: Session, handoff_id: int) -> HandoffStatus:
    handoff = session.get(HandoffRequest, handoff_id)
    holder = _holder(session, handoff)
    closer = session.get(StaffUser, handoff.closed_by_id) if handoff.closed_by_id else None
    row = views.handoff_row(session, handoff_id, utcnow())
    return HandoffStatus(
        handoff.status,
        holder.display_name if holder else "",
        _summary_text(row) if row is not None else "",
        announcement(session, handoff_id),
        closed_by=closer.display_name if closer else "",
        closed_at=handoff.closed_at,
    )
