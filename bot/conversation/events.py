"""What happened to a conversation, as typed events, and the small dispatcher that delivers them.

The router and the staff desk publish; the server (bot/app/server.py) subscribes the listeners:
the desk hears about escalations and customers writing to a person, the Telegram staff chat about
new, relayed and changed handoffs. Publishers know nothing of who listens.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConversationEscalated:
    """A turn asked for a person: a handoff request was queued (or was already)."""

    conversation_id: int


@dataclass(frozen=True)
class CustomerMessageForStaff:
    """A customer wrote while waiting for a person (`state` awaiting_human) or talking to one."""

    conversation_id: int
    message_id: int
    state: str


@dataclass(frozen=True)
class HandoffEvent:
    """What the events about one handoff request carry; listeners subscribe to the kinds below."""

    handoff_id: int
    conversation_id: int


@dataclass(frozen=True)
class HandoffQueued(HandoffEvent):
    """A new request is waiting in the queue: staff should hear about it."""


@dataclass(frozen=True)
class MessageForHolder(HandoffEvent):
    """A customer's message for the staff member who has their conversation."""

    message_id: int


@dataclass(frozen=True)
class HandoffChanged(HandoffEvent):
    """A handoff was claimed, transferred, resolved, cancelled or timed out."""


Event = ConversationEscalated | CustomerMessageForStaff | HandoffQueued | MessageForHolder | HandoffChanged
E = TypeVar("E", ConversationEscalated, CustomerMessageForStaff, HandoffQueued, MessageForHolder, HandoffChanged)
Handler = Callable[[E], Awaitable[None]]


class EventBus:
    """In-process, in order: publish() awaits each handler of the event's type in turn."""

    def __init__(self) -> None:
        # Handlers are stored by their event type and only ever called with an event of that type.
        self._handlers: defaultdict[type, list[Callable[[Any], Awaitable[None]]]] = defaultdict(list)

    def subscribe(self, event_type: type[E], handler: Handler[E]) -> None:
        self._handlers[event_type].append(handler)

    async def publish(self, event: Event) -> None:
        # A listener's failure (Telegram down) is logged; it never costs the customer a reply.
        for handler in list(self._handlers[type(event)]):
            try:
                await handler(event)
            except Exception:
                logger.exception("%s: a listener failed on %s", type(event).__name__, event)
