"""The router owns each conversation: it stores, scores, keeps order and picks bot or human."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Optional, Protocol, Sequence

from sqlalchemy.orm import sessionmaker

from bot import conversations
from bot.handoff import escalate_on_sentiment, holding_note
from bot.messages import InboundMessage, OutboundMessage
from bot.storage.models import ConversationState
from bot.text import clean_text
from feedback.sentiment import SentimentScorer

logger = logging.getLogger(__name__)

APOLOGY_ON_ERROR = (
    "Sorry, something went wrong on our side and I couldn't answer that. "
    "Your message is saved; please try again in a moment."
)


@dataclass(frozen=True)
class AssistantReply:
    messages: Sequence[OutboundMessage]
    intent: Optional[str] = None
    confidence: Optional[float] = None


@dataclass(frozen=True)
class Turn:
    replies: list[OutboundMessage]
    # True when this message id was handled before: the replies are the stored ones, already sent.
    duplicate: bool = False


class Assistant(Protocol):
    async def respond(
        self, conversation_id: str, text: str, *, channel: str, metadata: dict[str, Any]
    ) -> AssistantReply:
        """Answer one customer message in a conversation."""


def is_command(text: str) -> bool:
    """Button payloads and slash commands are not customer prose: they get no sentiment."""
    return text.startswith("/")


class ConversationRouter:
    def __init__(
        self,
        *,
        session_factory: sessionmaker,
        assistant: Assistant,
        scorer: SentimentScorer,
        max_message_chars: int = 4000,
        conversation_timeout: timedelta = timedelta(minutes=60),
    ) -> None:
        self._sessions = session_factory
        self._assistant = assistant
        self._scorer = scorer
        self._max_chars = max_message_chars
        self._timeout = conversation_timeout
        self._locks: defaultdict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)
        self._waiting: defaultdict[tuple[str, str], int] = defaultdict(int)

    async def handle(self, inbound: InboundMessage) -> list[OutboundMessage]:
        """Store, score and answer one customer message; raises InvalidMessage for bad input."""
        return (await self.handle_turn(inbound)).replies

    async def handle_turn(self, inbound: InboundMessage) -> Turn:
        """Like handle(), and says whether the message id was seen before (channels that push
        replies themselves, like Telegram, then know not to send them twice)."""
        text = clean_text(inbound.text, max_chars=self._max_chars)
        sentiment = None if is_command(text) else self._scorer.score(text)
        async with self._in_order(inbound):
            return await self._handle_in_order(inbound, text, sentiment)

    async def record_unreadable(self, inbound: InboundMessage, reply: OutboundMessage) -> Turn:
        """Store a message the assistant can't read (a photo, a sticker; its text is a marker like
        "[photo]") with the channel's fixed reply, in order and once per message id. Rasa must not
        see it: it would read "[photo]" as a greeting."""
        async with self._in_order(inbound):
            return await asyncio.to_thread(self._store_unreadable, inbound, reply)

    @asynccontextmanager
    async def _in_order(self, inbound: InboundMessage):
        """Order within a conversation: a second message waits here until the first is answered."""
        key = (inbound.channel, inbound.sender_id)
        self._waiting[key] += 1
        try:
            async with self._locks[key]:
                yield
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                self._locks.pop(key, None)

    def _store_unreadable(self, inbound: InboundMessage, reply: OutboundMessage) -> Turn:
        with self._sessions.begin() as session:
            stored = conversations.record_inbound(
                session, inbound, text=inbound.text[: self._max_chars], sentiment=None, timeout=self._timeout
            )
            if stored.duplicate_of is not None:
                return Turn(conversations.stored_replies(session, stored.message_id), duplicate=True)
            replies = conversations.record_replies(
                session, message_id=stored.message_id, replies=[reply], intent=None, confidence=None
            )
            return Turn(replies)

    async def _handle_in_order(self, inbound, text, sentiment) -> Turn:
        stored = await asyncio.to_thread(self._store_inbound, inbound, text, sentiment)
        if stored.duplicate_of is not None:
            return Turn(await asyncio.to_thread(self._replies_of, stored.message_id), duplicate=True)
        if stored.conversation_state == ConversationState.AWAITING_HUMAN.value:
            return Turn(await asyncio.to_thread(self._hold, stored))
        if stored.conversation_state != ConversationState.BOT.value:
            return Turn([])  # a person has the conversation: the staff desk delivers their replies
        try:
            reply = await self._assistant.respond(
                stored.conversation_public_id,
                text,
                channel=inbound.channel,
                metadata=inbound.metadata,
            )
        except Exception:
            logger.exception("assistant failed on conversation %s", stored.conversation_public_id)
            reply = AssistantReply(messages=[OutboundMessage(text=APOLOGY_ON_ERROR)])
        return Turn(await asyncio.to_thread(self._store_replies, stored, reply, text if sentiment else None))

    def _store_inbound(self, inbound, text, sentiment) -> conversations.StoredInbound:
        with self._sessions.begin() as session:
            return conversations.record_inbound(
                session, inbound, text=text, sentiment=sentiment, timeout=self._timeout
            )

    async def button_payload(self, channel: str, sender_id: str, message_id: int, index: int) -> Optional[str]:
        """What a button on an earlier reply sends, for channels that can only carry a short id."""

        def lookup() -> Optional[str]:
            with self._sessions() as session:
                return conversations.button_payload(
                    session, channel=channel, sender_id=sender_id, message_id=message_id, index=index
                )

        return await asyncio.to_thread(lookup)

    def _store_replies(self, stored, reply: AssistantReply, scored_text: Optional[str]) -> list[OutboundMessage]:
        """Store the bot's replies and, after a scored message, check whether the customer's mood
        calls for a person; the handoff notice is stored and sent with the replies."""
        messages = list(reply.messages)
        with self._sessions.begin() as session:
            if scored_text is not None:
                handoff = escalate_on_sentiment(session, stored.conversation_id, intent=reply.intent, text=scored_text)
                if handoff is not None:
                    messages.append(OutboundMessage(text=handoff.message))
            return conversations.record_replies(
                session,
                message_id=stored.message_id,
                replies=messages,
                intent=reply.intent,
                confidence=reply.confidence,
            )

    def _hold(self, stored) -> list[OutboundMessage]:
        """Waiting for a person: the message is kept for them; the first in a row gets a note."""
        with self._sessions.begin() as session:
            note = holding_note(session, stored.conversation_id, stored.message_id)
            replies = [OutboundMessage(text=note)] if note else []
            return conversations.record_replies(
                session, message_id=stored.message_id, replies=replies, intent=None, confidence=None,
                mark_handled=False,
            )

    def _replies_of(self, message_id: int) -> list[OutboundMessage]:
        with self._sessions() as session:
            return conversations.stored_replies(session, message_id)
