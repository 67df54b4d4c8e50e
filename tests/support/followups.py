"""A customer whose complaint was settled, a clock the test sets, and a channel that records pushes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.conversation.messages import InboundMessage
from bot.followup.answers import FollowUpAnswers
from bot.followup.scheduler import FollowUpScheduler
from bot.storage.models import Conversation, Customer, Message, RecoveryCase
from tests.support.content import project_content
from tests.support.routing import make_router

# 10:00 in Berlin (the content's shop time zone), well inside the allowed hours.
SETTLED = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Pushes:
    """The channel registry's deliver, recorded: Telegram pushes, the widget cannot."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, str, list]] = []
        self.fail = fail

    async def __call__(self, channel, sender_id, messages) -> bool:
        if self.fail:
            raise RuntimeError("Telegram is unreachable")
        if channel != "telegram":
            return False
        self.sent.append((channel, sender_id, list(messages)))
        return True


def settled_case(
    session, sender: str, *, channel: str = "telegram", category: str = "damaged_item", locale: str | None = None
) -> int:
    """A customer who wrote to the bot and whose complaint ended recovered at SETTLED; the case id."""
    customer = Customer(channel=channel, external_id=sender, locale=locale, first_seen=SETTLED, last_seen=SETTLED)
    session.add(customer)
    session.flush()
    conversation = Conversation(
        customer_id=customer.id,
        channel=channel,
        customer_message_count=1,
        started_at=SETTLED,
        last_activity_at=SETTLED,
        ended_at=SETTLED,
    )
    session.add(conversation)
    session.flush()
    session.add(Message(conversation_id=conversation.id, direction="customer", text="it arrived broken"))
    case = RecoveryCase(
        conversation_id=conversation.id,
        customer_id=customer.id,
        source="complaint",
        category=category,
        severity="medium",
        status="recovered",
        created_at=SETTLED,
        closed_at=SETTLED,
    )
    session.add(case)
    session.flush()
    return case.id


def scheduler(session_factory, clock: Clock, pushes: Pushes) -> FollowUpScheduler:
    return FollowUpScheduler(sessions=session_factory, content=project_content().followup, deliver=pushes, clock=clock)


def followup_router(session_factory, assistant):
    content = project_content()
    return make_router(
        session_factory, assistant, followups=FollowUpAnswers(content.followup, content.escalation, content.desk)
    )


def telegram_text(sender: str, text: str, message_id: str) -> InboundMessage:
    return InboundMessage(channel="telegram", sender_id=sender, text=text, message_id=message_id)


def days(n: float) -> timedelta:
    return timedelta(days=n)
