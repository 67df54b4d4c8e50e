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

from bot.conversation import store as conversations
from bot.desk.content import DeskContent
from bot.handoff.transitions import cancel_by_customer
from bot.handoff.escalate import escalate_on_sentiment, holding_note
from bot.conversation.messages import InboundMessage, OutboundMessage
from bot.storage.models import Conversation, ConversationState
from bot.conversation.text import clean_text
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

    # Optional: assistants without it never read "never mind" while a customer waits for a person.
    # async def parse(self, text: str) -> tuple[Optional[str], Optional[float]]


class RouterListener(Protocol):
    """The staff desk: told when a conversation enters the queue or its customer writes to a person."""

    async def on_escalated(self, conversation_id: int) -> None: ...

    async def on_customer_message(self, conversation_id: int, message_id: int, state: str) -> None: ...


# "Never mind" while waiting for a person: the NLU's cancel intent, when it is this sure.
CANCEL_INTENT = "cancel"
CANCEL_MIN_CONFIDENCE = 0.7


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
        self.listener: Optional[RouterListener] = None
        self.desk_content: Optional[DeskContent] = None

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

    def _in_order(self, inbound: InboundMessage):
        return self.exclusive(inbound.channel, inbound.sender_id)

    @asynccontextmanager
    async def exclusive(self, channel: str, sender_id: str):
        """Order within a conversation: a second message waits here until the first is answered.

        The staff desk takes it too, so a claim or a hand-back never lands half-way through a
        customer's message (which would then be answered by nobody, or by the bot and a person).
        """
        key = (channel, sender_id)
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
            if sentiment is not None and await self._means_never_mind(text):
                cancelled = await asyncio.to_thread(self._cancel_handoff, stored)
                if cancelled is not None:
                    await self._tell_listener("on_escalated", stored.conversation_id)  # the queue changed
                    return Turn(cancelled)
            replies = await asyncio.to_thread(self._hold, stored)
            await self._tell_listener("on_customer_message", stored.conversation_id, stored.message_id,
                                      stored.conversation_state)
            return Turn(replies)
        if stored.conversation_state != ConversationState.BOT.value:
            # A person has the conversation: the message goes to them, the bot stays silent.
            await self._tell_listener("on_customer_message", stored.conversation_id, stored.message_id,
                                      stored.conversation_state)
            return Turn([])
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
        replies, state = await asyncio.to_thread(self._store_replies, stored, reply, text if sentiment else None)
        if state != ConversationState.BOT.value:
            # This turn asked for a person (an action, a mood, a compensation to approve).
            await self._tell_listener("on_escalated", stored.conversation_id)
        return Turn(replies)

    async def _tell_listener(self, method: str, *args) -> None:
        """The desk's own failures (Telegram down) never cost the customer their reply."""
        if self.listener is None:
            return
        try:
            await getattr(self.listener, method)(*args)
        except Exception:
            logger.exception("staff desk: %s failed for conversation %s", method, args[0])

    async def _means_never_mind(self, text: str) -> bool:
        parse = getattr(self._assistant, "parse", None)
        if parse is None or self.desk_content is None:
            return False
        try:
            intent, confidence = await parse(text)
        except Exception:
            logger.exception("could not read a waiting customer's message")
            return False
        return intent == CANCEL_INTENT and (confidence or 0) >= CANCEL_MIN_CONFIDENCE

    def _cancel_handoff(self, stored) -> Optional[list[OutboundMessage]]:
        with self._sessions.begin() as session:
            if cancel_by_customer(session, stored.conversation_id) is None:
                return None
            return conversations.record_replies(
                session, message_id=stored.message_id, replies=[OutboundMessage(text=self.desk_content.say("cancelled"))],
                intent=CANCEL_INTENT, confidence=None,
            )

    async def resume_with_bot(self, conversation_id: int, text: str, *, handled_by: Optional[str] = None
                              ) -> list[OutboundMessage]:
        """After a person hands back: tell the assistant (e.g. "/handoff_resolved", so it offers
        a survey) and store its replies. Call it holding exclusive() for the conversation.
        `handled_by`, the person who handled the customer, travels as message metadata: the
        survey action credits the survey it offers to them."""

        def conversation_of() -> tuple[str, str]:
            with self._sessions() as session:
                conversation = session.get(Conversation, conversation_id)
                return conversation.public_id, conversation.channel

        public_id, channel = await asyncio.to_thread(conversation_of)
        metadata = {"handled_by": handled_by} if handled_by else {}
        try:
            reply = await self._assistant.respond(public_id, text, channel=channel, metadata=metadata)
        except Exception:
            logger.exception("assistant failed resuming conversation %s", public_id)
            return []

        def store() -> list[OutboundMessage]:
            with self._sessions.begin() as session:
                return conversations.record_bot_messages(session, conversation_id, reply.messages)

        return await asyncio.to_thread(store)

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

    def _store_replies(
        self, stored, reply: AssistantReply, scored_text: Optional[str]
    ) -> tuple[list[OutboundMessage], str]:
        """Store the bot's replies and, after a scored message, check whether the customer's mood
        calls for a person; the handoff notice is stored and sent with the replies."""
        messages = list(reply.messages)
        with self._sessions.begin() as session:
            # Held for the whole transaction: the session keeps unchanged rows only weakly, so
            # each session.get() below would otherwise load the conversation again.
            conversation = session.get(Conversation, stored.conversation_id)
            if scored_text is not None:
                handoff = escalate_on_sentiment(session, stored.conversation_id, intent=reply.intent, text=scored_text)
                if handoff is not None:
                    messages.append(OutboundMessage(text=handoff.message))
            replies = conversations.record_replies(
                session,
                message_id=stored.message_id,
                replies=messages,
                intent=reply.intent,
                confidence=reply.confidence,
            )
            return replies, conversation.state

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
