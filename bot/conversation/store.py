"""Conversation records: customers, conversations and messages (synchronous, one session per call)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.conversation import answers, statements
from bot.conversation.messages import InboundMessage, OutboundMessage
from bot.conversation.text import printable
from bot.storage.models import Conversation, ConversationState, Customer, Direction, Message, utcnow
from bot.storage.titles import RECENT_BOT_MESSAGES, is_payload, tapped_title
from feedback.sentiment import Sentiment, rolling_score


@dataclass(frozen=True)
class StoredInbound:
    conversation_id: int
    conversation_public_id: str
    conversation_state: str
    message_id: int
    # Set when this delivery repeats a stored message: if `answered`, its stored replies are the
    # answer; if not (the process died before answering it), it is answered now.
    duplicate_of: int | None = None
    # The customer's language after this message ("fa", "en"), or None when none was chosen.
    language: str | None = None
    answered: bool = False


def _customer_and_open_conversation(
    session: Session, channel: str, sender_id: str
) -> tuple[Customer | None, Conversation | None]:
    """The customer and their newest open conversation, in one query (both may be missing)."""
    row = session.execute(statements.CUSTOMER_AND_OPEN, {"channel": channel, "sender_id": sender_id}).first()
    return (row[0], row[1]) if row is not None else (None, None)


def _update_customer(
    session: Session,
    customer: Customer | None,
    inbound: InboundMessage,
    now: datetime,
    language: Callable[[str | None], str] | None,
) -> Customer:
    if customer is None:
        customer = Customer(
            channel=inbound.channel,
            external_id=inbound.sender_id,
            first_seen=now,
            last_seen=now,
        )
        session.add(customer)
        session.flush()
    values: dict[str, object] = {"last_seen": now}
    if inbound.display_name:
        values["display_name"] = printable(inbound.display_name)[:200]
    if language is not None:
        # The language the bot speaks with this customer, chosen from the one remembered.
        values["locale"] = language(customer.locale)
    elif inbound.locale:
        values["locale"] = printable(inbound.locale)[:16]
    statements.update_row(session, customer, **values)
    return customer


def _current_conversation(
    session: Session,
    customer: Customer,
    conversation: Conversation | None,
    channel: str,
    now: datetime,
    timeout: timedelta,
    max_messages: int | None = None,
) -> Conversation:
    """The open conversation, unless it went quiet for longer than the timeout, or the bot has held
    it for `max_messages` customer messages: then a new one."""
    if conversation is not None and now - conversation.last_activity_at > timeout:
        conversation.ended_at = conversation.last_activity_at
        conversation = None
    elif conversation is not None and _full(conversation, max_messages):
        # A safety cap only (CXBOT_MAX_CONVERSATION_MESSAGES, 1000): Rasa's reads are bounded by
        # its sessions (bot/assistant/sessions.py), but its tracker store still walks an index
        # entry per event of the whole conversation to find the session, a cost that grows
        # without bound for a script that never pauses. No person writes 1000 messages without an
        # hour's pause; a split costs the reports a conversation, so keep it far above that.
        # Never while a person is involved either.
        conversation.ended_at = conversation.last_activity_at
        conversation = None
    if conversation is None:
        conversation = Conversation(
            customer_id=customer.id,
            channel=channel,
            started_at=now,
            last_activity_at=now,
            customer_message_count=0,
        )
        session.add(conversation)
        session.flush()
    return conversation


def _full(conversation: Conversation, max_messages: int | None) -> bool:
    return (
        max_messages is not None
        and (conversation.customer_message_count or 0) >= max_messages
        and conversation.state == ConversationState.BOT.value
    )


def _find_duplicate(session: Session, customer: Customer, external_id: str) -> Message | None:
    return session.execute(
        statements.DUPLICATE, {"customer_id": customer.id, "external_id": external_id}
    ).scalar_one_or_none()


def conversation_by_public_id(session: Session, public_id: str) -> Conversation:
    """The conversation Rasa knows by this sender id; LookupError if there is none."""
    conversation = session.execute(select(Conversation).where(Conversation.public_id == public_id)).scalar_one_or_none()
    if conversation is None:
        raise LookupError(f"no conversation {public_id!r}")
    return conversation


def _button_title(session: Session, conversation: Conversation | None, text: str) -> str | None:
    """The title of the button whose payload the customer sent, from the bot's last messages."""
    if conversation is None or not is_payload(text):
        return None
    payloads = session.execute(
        select(Message.payload)
        .where(Message.conversation_id == conversation.id, Message.direction == Direction.BOT.value)
        .order_by(Message.id.desc())
        .limit(RECENT_BOT_MESSAGES)
    ).scalars()
    return tapped_title(text.strip(), payloads)


def record_inbound(
    session: Session,
    inbound: InboundMessage,
    *,
    text: str,
    sentiment: Sentiment | None,
    timeout: timedelta,
    max_messages: int | None = None,
    language: Callable[[str | None], str] | None = None,
    claimed_by: str | None = None,
) -> StoredInbound:
    """Store a customer message and its sentiment in one transaction (the caller commits); a
    conversation ends after `timeout` idle or, held by the bot, after `max_messages` messages.
    `language` picks the customer's language from the one remembered (customers.locale);
    `claimed_by` claims the new message for the process that answers it (see answers.py)."""
    now = utcnow()
    # Reads first, writes together at the end: on SQLite the first write takes the database's
    # write lock until commit, and every other writer waits for it.
    customer, open_conversation = _customer_and_open_conversation(session, inbound.channel, inbound.sender_id)
    if customer is not None and inbound.message_id:
        duplicate = _find_duplicate(session, customer, inbound.message_id)
        if duplicate is not None:
            conversation = session.get(Conversation, duplicate.conversation_id)
            answered = duplicate.answered_at is not None
            return _stored(conversation, duplicate.id, language=customer.locale, duplicate=True, answered=answered)
    # Even when the open conversation timed out: the tapped button was on its last messages.
    button_title = _button_title(session, open_conversation, text)
    customer = _update_customer(session, customer, inbound, now, language)
    conversation = _current_conversation(
        session, customer, open_conversation, inbound.channel, now, timeout, max_messages
    )
    message_id = session.execute(
        statements.INSERT_MESSAGE,
        {
            "conversation_id": conversation.id,
            "direction": Direction.CUSTOMER.value,
            "text": text,
            "button_title": button_title,
            "external_id": inbound.message_id,
            "polarity": sentiment.polarity if sentiment else None,
            "subjectivity": sentiment.subjectivity if sentiment else None,
            "handled": False,
            "created_at": now,
            "answering_by": claimed_by,
            "answering_since": now if claimed_by else None,
        },
    ).inserted_primary_key[0]
    counts = {"last_activity_at": now, "customer_message_count": (conversation.customer_message_count or 0) + 1}
    if sentiment is not None:
        counts["sentiment_rolling"] = rolling_score(conversation.sentiment_rolling, sentiment.polarity)
    statements.update_row(session, conversation, **counts)
    # Held for the transaction (the session keeps unchanged rows weakly): the follow-up check reads them.
    session.info["inbound_rows"] = (customer, conversation)
    return _stored(conversation, message_id, language=customer.locale)


def _stored(
    conversation: Conversation,
    message_id: int,
    *,
    language: str | None = None,
    duplicate: bool = False,
    answered: bool = False,
) -> StoredInbound:
    return StoredInbound(
        conversation_id=conversation.id,
        conversation_public_id=conversation.public_id,
        conversation_state=conversation.state,
        message_id=message_id,
        duplicate_of=message_id if duplicate else None,
        language=language,
        answered=answered,
    )


def customer_language(session: Session, conversation_id: int) -> str | None:
    """The language remembered for the customer of a conversation (no query if the session holds both)."""
    conversation = session.identity_map.get(session.identity_key(Conversation, conversation_id))
    if conversation is not None and (customer := session.get(Customer, conversation.customer_id)) is not None:
        return customer.locale
    return session.execute(statements.LANGUAGE, {"conversation_id": conversation_id}).scalar_one_or_none()


def stored_inbound(session: Session, message_id: int) -> StoredInbound:
    """A stored customer message with its conversation as it is now (to answer it late)."""
    message = session.get(Message, message_id)
    conversation = session.get(Conversation, message.conversation_id)
    return _stored(conversation, message.id, answered=message.answered_at is not None)


def write_messages(
    session: Session,
    conversation_id: int,
    messages: Sequence[OutboundMessage],
    *,
    direction: Direction = Direction.BOT,
    reply_to_id: int | None = None,
    staff_id: int | None = None,
    now: datetime | None = None,
) -> list[OutboundMessage]:
    """The one writer of bot and staff messages: stores them in order (the caller commits) and
    returns them with their ids. `reply_to_id` links bot replies to the customer message they
    answer; `staff_id` names the person behind an agent message."""
    now = now or utcnow()
    session.flush()  # the caller's pending changes first, as before: the statements below are Core
    stored = []
    # Core statements, not the ORM's unit of work: the rows are written once and never read back
    # in this transaction, and a flush costs several times the INSERT itself.
    for message in messages:
        extra = {k: v for k, v in message.to_dict().items() if k != "text"}
        row = {
            "conversation_id": conversation_id,
            "direction": direction.value,
            "text": message.text,
            "payload": json.dumps(extra, ensure_ascii=False) if extra else None,
            "response": message.response[:100] if message.response else None,
            "reply_to_id": reply_to_id,
            "handled": True,
            "staff_user_id": staff_id,
            "created_at": now,
        }
        stored.append(replace(message, id=session.execute(statements.INSERT_MESSAGE, row).inserted_primary_key[0]))
    statements.update_row(session, (Conversation, conversation_id), last_activity_at=now)
    return stored


def record_replies(
    session: Session,
    *,
    conversation_id: int,
    message_id: int,
    replies: Sequence[OutboundMessage],
    intent: str | None,
    confidence: float | None,
    mark_handled: bool = True,
) -> list[OutboundMessage]:
    """Store the bot's replies to a customer message and mark it handled and answered; returns
    them with ids. Raises AlreadyAnswered if another process stored its answer first."""
    now = utcnow()
    answers.finish(
        session,
        message_id,
        now,
        intent=intent[:100] if intent else None,
        intent_confidence=confidence,
        handled=mark_handled,
    )
    return write_messages(session, conversation_id, replies, reply_to_id=message_id, now=now)


def _outbound(row: Message) -> OutboundMessage:
    data = row.payload_data()
    data["text"] = row.text
    return replace(OutboundMessage.from_dict(data), id=row.id)


def stored_replies(session: Session, message_id: int) -> list[OutboundMessage]:
    """The bot replies already stored for a customer message, in order."""
    rows = session.execute(select(Message).where(Message.reply_to_id == message_id).order_by(Message.id)).scalars()
    return [_outbound(row) for row in rows]


def mark_delivered(session: Session, message_ids: Sequence[int]) -> None:
    """Record that these stored messages reached the customer (the first time counts)."""
    if message_ids:
        session.execute(
            update(Message)
            .where(Message.id.in_(message_ids), Message.delivered_at.is_(None))
            .values(delivered_at=utcnow())
        )


def all_delivered(session: Session, message_ids: Sequence[int]) -> bool:
    """True when every one of these stored messages reached the customer."""
    if not message_ids:
        return False
    delivered = session.execute(
        select(func.count(Message.id)).where(Message.id.in_(message_ids), Message.delivered_at.isnot(None))
    ).scalar_one()
    return delivered == len(set(message_ids))


def is_current_keyboard(session: Session, *, message_id: int, tap_id: str) -> bool:
    """Whether the buttons of bot message `message_id` are still the question of its conversation:
    no newer conversation, no newer buttons, and no customer message since (but the tap itself)."""
    row = session.get(Message, message_id)
    if row is None:
        return False
    conversation = session.get(Conversation, row.conversation_id)
    newest = session.execute(
        select(func.max(Conversation.id)).where(Conversation.customer_id == conversation.customer_id)
    ).scalar_one()
    if conversation.id != newest or conversation.ended_at is not None:
        return False
    later = session.execute(
        select(Message).where(Message.conversation_id == conversation.id, Message.id > row.id).order_by(Message.id)
    ).scalars()
    for message in later:
        if message.direction == Direction.CUSTOMER.value and message.external_id != tap_id:
            return False
        if message.direction == Direction.BOT.value and _outbound(message).buttons:
            return False
    return True


def open_conversation_state(session: Session, *, channel: str, sender_id: str) -> str | None:
    """The state of the customer's open conversation (bot, awaiting_human...), None if none is open."""
    _customer, conversation = _customer_and_open_conversation(session, channel, sender_id)
    return conversation.state if conversation is not None else None


def button_payload(session: Session, *, channel: str, sender_id: str, message_id: int, index: int) -> str | None:
    """The payload of button `index` on a stored bot message sent to this customer, else None."""
    row = session.execute(
        select(Message)
        .join(Conversation, Message.conversation_id == Conversation.id)
        .join(Customer, Conversation.customer_id == Customer.id)
        .where(
            Message.id == message_id,
            Message.direction == Direction.BOT.value,
            Customer.channel == channel,
            Customer.external_id == sender_id,
        )
    ).scalar_one_or_none()
    if row is None or index < 0:
        return None
    buttons = _outbound(row).buttons
    return buttons[index].payload if index < len(buttons) else None


@dataclass(frozen=True)
class StoredMessage:
    """A message of a conversation as stored: who wrote it, and what it showed."""

    id: int
    direction: str  # customer, bot, agent
    message: OutboundMessage  # text, and for bot and staff messages their buttons, custom and image
    external_id: str | None = None  # the channel's id of a customer message


def latest_conversation(session: Session, *, channel: str, sender_id: str, limit: int) -> list[StoredMessage]:
    """The last `limit` messages of this customer's newest conversation, oldest first."""
    conversation_id = session.execute(
        select(Conversation.id)
        .join(Customer, Conversation.customer_id == Customer.id)
        .where(Customer.channel == channel, Customer.external_id == sender_id)
        .order_by(Conversation.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if conversation_id is None:
        return []
    rows = list(
        session.execute(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id.desc()).limit(limit)
        ).scalars()
    )
    rows.reverse()
    return [StoredMessage(row.id, row.direction, _outbound(row), row.external_id) for row in rows]
