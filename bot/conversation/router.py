"""The router owns each conversation: it stores, scores, keeps order and picks bot or human."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.conversation import answers, statements
from bot.conversation import store as conversations
from bot.conversation.events import ConversationEscalated, CustomerMessageForStaff, EventBus, HandoffChanged
from bot.conversation.language import LANGUAGE_KEY, Languages, hints_of
from bot.conversation.messages import InboundMessage, OutboundMessage
from bot.conversation.ports import (
    APOLOGY_ON_ERROR,
    CANCEL_INTENT,
    CANCEL_MIN_CONFIDENCE,
    Assistant,
    AssistantReply,
    FollowUpAnswers,
    FollowUpTurn,
    HandoffPolicy,
    NeverMind,
    Turn,
    is_command,
)
from bot.conversation.text import check_id, clean_text
from bot.storage.database import UNREACHABLE, run_short
from bot.storage.models import Conversation, ConversationState
from feedback.language import ENGLISH
from feedback.sentiment import SentimentScorer

logger = logging.getLogger(__name__)

SharedLock = Callable[[str], AbstractAsyncContextManager[None]]  # a cluster's lock by name (cluster/node.py)
CLAIM_POLL_SECONDS = 0.5  # how often a retry looks again while another process answers its message


class ConversationRouter:
    def __init__(
        self,
        *,
        session_factory: sessionmaker,
        assistant: Assistant,
        scorer: SentimentScorer,
        handoff: HandoffPolicy,
        max_message_chars: int = 4000,
        conversation_timeout: timedelta = timedelta(minutes=60),
        max_conversation_messages: int | None = None,
        events: EventBus | None = None,
        never_mind: NeverMind | None = None,
        languages: Languages | None = None,
        followups: FollowUpAnswers | None = None,
        owner: str | None = None,
        alive: Callable[[str], bool] | None = None,
        shared_lock: SharedLock | None = None,
        unavailable: tuple[type[BaseException], ...] = (),
        apologies: Mapping[str, str] | None = None,
    ) -> None:
        """`handoff` decides when a person takes over; `events` hears of escalations and messages
        for staff; without `never_mind` a waiting customer cannot cancel by saying so; `languages`
        are the ones the shop serves (each customer is answered in theirs); `followups` reads
        answers to follow-ups before the assistant sees them. `owner` names this process in its
        claims on messages; `alive(owner)` says whether another process still runs (without it,
        none does: one process); `shared_lock(name)` orders a conversation across processes too
        (several replicas). An `unavailable` error (Redis away; the database away) is raised, not
        apologised for: the message stays unanswered, and the customer's retry (or the recovery)
        answers it. `apologies` (by language, English for the rest) say the assistant failed."""
        self._sessions = session_factory
        self._assistant = assistant
        self._scorer = scorer
        self._handoff = handoff
        self._max_chars = max_message_chars
        self._timeout = conversation_timeout
        self._max_messages = max_conversation_messages
        self._locks: defaultdict[tuple[str, str], asyncio.Lock] = defaultdict(asyncio.Lock)
        self._waiting: defaultdict[tuple[str, str], int] = defaultdict(int)
        self._events = events or EventBus()
        self._never_mind = never_mind
        self._languages = languages or Languages()
        self._followups = followups
        self.owner = owner or uuid.uuid4().hex
        self._alive = alive or (lambda _owner: False)
        self._shared_lock = shared_lock
        self._unavailable = (*unavailable, *UNREACHABLE)  # the database away, too
        self._apologies = {ENGLISH: APOLOGY_ON_ERROR, **(apologies or {})}

    async def handle(self, inbound: InboundMessage) -> list[OutboundMessage]:
        """Store, score and answer one customer message; raises InvalidMessage for bad input."""
        text = clean_text(inbound.text, max_chars=self._max_chars)
        check_id(inbound.sender_id, name="sender")
        if inbound.message_id is not None:
            check_id(inbound.message_id, name="message_id")
        sentiment = None if is_command(text) else self._scorer.score(text)
        async with self._in_order(inbound):
            return (await self._handle_in_order(inbound, text, sentiment)).replies

    async def record_unreadable(self, inbound: InboundMessage, reply: OutboundMessage) -> Turn:
        """Store a message the assistant can't read (a photo, a sticker; its text is a marker like
        "[photo]", which Rasa would read as a greeting) with the channel's fixed reply, in order
        and once per message id."""
        async with self._in_order(inbound):
            return await self._db(lambda s: self._store_unreadable(s, inbound, reply))

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
                if self._shared_lock is None:
                    yield
                else:
                    # Across replicas: the in-process lock first, so one replica queues its own
                    # messages locally and asks Redis once per message.
                    async with self._shared_lock(f"{channel}:{sender_id}"):
                        yield
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                self._locks.pop(key, None)

    def _store_unreadable(self, session: Session, inbound: InboundMessage, reply: OutboundMessage) -> Turn:
        hints = hints_of(inbound.locale, inbound.metadata)
        stored = conversations.record_inbound(
            session,
            inbound,
            text=inbound.text[: self._max_chars],
            sentiment=None,
            timeout=self._timeout,
            # A photo says nothing of the language: the one remembered stays (else a hint).
            language=lambda remembered: self._languages.choose("", remembered=remembered, hints=hints),
        )
        if stored.duplicate_of is not None:
            return Turn(conversations.stored_replies(session, stored.message_id))
        replies = conversations.record_replies(
            session,
            conversation_id=stored.conversation_id,
            message_id=stored.message_id,
            replies=[reply],
            intent=None,
            confidence=None,
        )
        return Turn(replies)

    def _db(self, work: Callable[[Session], Any]) -> Awaitable[Any]:
        return run_short(self._sessions, work)

    async def _handle_in_order(self, inbound, text, sentiment) -> Turn:
        hints = hints_of(inbound.locale, inbound.metadata)

        def language(remembered: str | None) -> str:
            return self._languages.choose(text, remembered=remembered, hints=hints)

        def record(session: Session) -> tuple[conversations.StoredInbound, FollowUpTurn | None]:
            stored = conversations.record_inbound(
                session,
                inbound,
                text=text,
                sentiment=sentiment,
                timeout=self._timeout,
                max_messages=self._max_messages,
                language=language,
                claimed_by=self.owner,
            )
            return stored, self._followup_answer(session, stored, text) if stored.duplicate_of is None else None

        stored, followup = await self._db(record)  # stored and read as a follow-up's answer at once
        if followup is not None:
            return await self._followup_turn(stored, followup)
        if stored.duplicate_of is not None and (stored.answered or not await self._claim(stored.message_id)):
            return await self._stored_turn(stored.message_id)
        try:
            return await self._answer(inbound, text, sentiment, stored, followup_read=stored.duplicate_of is None)
        except answers.AlreadyAnswered:
            # Another process answered it meanwhile (it took over a claim it thought abandoned).
            return await self._stored_turn(stored.message_id)

    async def _stored_turn(self, message_id: int) -> Turn:
        return Turn(await self._db(lambda s: conversations.stored_replies(s, message_id)))

    async def _claim(self, message_id: int) -> bool:
        """Claim a stored, unanswered message for this process: True to answer it now, False if
        it got its answer meanwhile. Waits while another living process answers it."""
        while True:
            outcome = await self._db(lambda s: answers.claim(s, message_id, owner=self.owner, alive=self._alive))
            if outcome is not answers.Claim.BUSY:
                return outcome is answers.Claim.CLAIMED
            await asyncio.sleep(CLAIM_POLL_SECONDS)

    async def answer_stored(self, message: answers.Unanswered) -> list[OutboundMessage] | None:
        """Answer a message stored before a crash (start-up recovery), in order and at most once:
        its replies, or None if it was answered meanwhile (by the customer's retry)."""
        inbound = InboundMessage(
            channel=message.channel, sender_id=message.sender_id, text=message.text, message_id=message.external_id
        )
        sentiment = None if is_command(message.text) else self._scorer.score(message.text)
        async with self._in_order(inbound):
            if not await self._claim(message.message_id):
                return None
            stored = await self._db(lambda s: conversations.stored_inbound(s, message.message_id))
            try:
                return (await self._answer(inbound, message.text, sentiment, stored)).replies
            except answers.AlreadyAnswered:
                return None

    async def _answer(
        self, inbound, text, sentiment, stored: conversations.StoredInbound, *, followup_read: bool = False
    ) -> Turn:
        """The turn of a stored, claimed message: the bot answers, or the message waits for staff.
        `followup_read`: the transaction that stored it found it answers no follow-up."""
        if stored.conversation_state == ConversationState.AWAITING_HUMAN.value:
            if sentiment is not None and await self._means_never_mind(text):
                cancelled = await self._db(lambda s: self._cancel_handoff(s, stored))
                if cancelled is not None:
                    handoff_id, replies = cancelled
                    await self._events.publish(HandoffChanged(handoff_id, stored.conversation_id))
                    return Turn(replies)
            replies = await self._db(lambda s: self._hold(s, stored))
            await self._for_staff(stored)
            return Turn(replies)
        if stored.conversation_state != ConversationState.BOT.value:
            # A person has the conversation: the message goes to them, the bot stays silent.
            await self._db(lambda s: answers.finish(s, stored.message_id))
            await self._for_staff(stored)
            return Turn([])
        if not followup_read:
            followup = await self._db(lambda s: self._followup_answer(s, stored, text))
            if followup is not None:
                return await self._followup_turn(stored, followup)
        try:
            reply = await self._assistant.respond(
                stored.conversation_public_id,
                text,
                channel=inbound.channel,
                metadata={**inbound.metadata, LANGUAGE_KEY: stored.language or self._languages.default},
            )
        except self._unavailable:
            raise
        except Exception:
            logger.exception("assistant failed on conversation %s", stored.conversation_public_id)
            apology = self._apologies.get(stored.language or ENGLISH, self._apologies[ENGLISH])
            reply = AssistantReply(messages=[OutboundMessage(text=apology)])
        scored = text if sentiment else None
        replies, state = await self._db(lambda s: self._store_replies(s, stored, reply, scored))
        if state != ConversationState.BOT.value:
            # This turn asked for a person (an action, a mood, a compensation to approve).
            await self._events.publish(ConversationEscalated(stored.conversation_id))
        return Turn(replies)

    def _followup_answer(self, session: Session, stored: conversations.StoredInbound, text: str) -> FollowUpTurn | None:
        """The stored answer when a message to the bot answers the customer's follow-up."""
        if self._followups is None or stored.conversation_state != ConversationState.BOT.value:
            return None
        answer = self._followups.answer
        return answer(session, conversation_id=stored.conversation_id, message_id=stored.message_id, text=text)

    async def _followup_turn(self, stored, turn: FollowUpTurn) -> Turn:
        if turn.escalated:
            await self._events.publish(ConversationEscalated(stored.conversation_id))
        return Turn(turn.replies)

    async def _for_staff(self, stored: conversations.StoredInbound) -> None:
        await self._events.publish(
            CustomerMessageForStaff(stored.conversation_id, stored.message_id, stored.conversation_state)
        )

    async def _means_never_mind(self, text: str) -> bool:
        if self._never_mind is None:
            return False
        try:
            intent, confidence = await self._never_mind.parse(text)
        except Exception:
            logger.exception("could not read a waiting customer's message")
            return False
        return intent == CANCEL_INTENT and (confidence or 0) >= CANCEL_MIN_CONFIDENCE

    def _cancel_handoff(
        self, session: Session, stored: conversations.StoredInbound
    ) -> tuple[int, list[OutboundMessage]] | None:
        """(the cancelled handoff's id, the stored reply), or None if a person has it already."""
        handoff_id = self._handoff.cancel_while_queued(session, stored.conversation_id)
        if handoff_id is None or self._never_mind is None:
            return None
        return handoff_id, conversations.record_replies(
            session,
            conversation_id=stored.conversation_id,
            message_id=stored.message_id,
            replies=[
                OutboundMessage(text=self._never_mind.translations.get(stored.language or "", self._never_mind.reply))
            ],
            intent=CANCEL_INTENT,
            confidence=None,
        )

    async def resume_with_bot(
        self, conversation_id: int, text: str, *, handled_by: str | None = None
    ) -> list[OutboundMessage]:
        """After a person hands back: tell the assistant (e.g. "/handoff_resolved", so it offers
        a survey) and store its replies. Call it holding exclusive() for the conversation.
        `handled_by`, the person who handled the customer, travels as message metadata: the
        survey action credits the survey it offers to them."""

        def conversation_of(session: Session) -> tuple[str, str, str | None]:
            conversation = session.get(Conversation, conversation_id)
            language = conversations.customer_language(session, conversation_id)
            return conversation.public_id, conversation.channel, language

        public_id, channel, language = await self._db(conversation_of)
        served = language if language in self._languages.served else self._languages.default
        metadata: dict[str, Any] = {LANGUAGE_KEY: served}
        if handled_by:
            metadata["handled_by"] = handled_by
        try:
            reply = await self._assistant.respond(public_id, text, channel=channel, metadata=metadata)
        except Exception:
            logger.exception("assistant failed resuming conversation %s", public_id)
            return []

        return await self._db(lambda session: conversations.write_messages(session, conversation_id, reply.messages))

    async def mark_delivered(self, message_ids: Sequence[int]) -> None:
        """The channel confirmed these stored replies reached the customer."""
        await self._db(lambda s: conversations.mark_delivered(s, message_ids))

    async def all_delivered(self, message_ids: Sequence[int]) -> bool:
        """Whether these stored replies all reached the customer already (a repeat needs none)."""
        return await self._db(lambda s: conversations.all_delivered(s, message_ids))

    async def keyboard_is_current(self, message_id: int, tap_id: str) -> bool:
        """Whether a tap on the buttons of stored message `message_id` still answers the conversation's
        question; `tap_id` is the tap's own message id (a repeated tap is a repeat, not a move)."""
        return await self._db(lambda s: conversations.is_current_keyboard(s, message_id=message_id, tap_id=tap_id))

    async def bot_answers(self, channel: str, sender_id: str) -> bool:
        """Whether the bot (not a person) answers this customer's next message, as things stand."""
        state = await self._db(lambda s: conversations.open_conversation_state(s, channel=channel, sender_id=sender_id))
        return state in (None, ConversationState.BOT.value)

    async def button_payload(self, channel: str, sender_id: str, message_id: int, index: int) -> str | None:
        """What a button on an earlier reply sends, for channels that can only carry a short id."""

        return await self._db(
            lambda s: conversations.button_payload(
                s, channel=channel, sender_id=sender_id, message_id=message_id, index=index
            )
        )

    def _store_replies(
        self, session: Session, stored, reply: AssistantReply, scored_text: str | None
    ) -> tuple[list[OutboundMessage], str]:
        """Store the bot's replies and, after a scored message, check whether the customer's mood
        calls for a person; the handoff notice is stored and sent with the replies."""
        messages = list(reply.messages)
        # Held for the whole transaction (the session keeps unchanged rows only weakly): the
        # handoff check reads the conversation's state and the customer's language.
        conversation, _customer = statements.conversation_and_customer(session, stored.conversation_id)
        if scored_text is not None:
            notice = self._handoff.after_reply(session, stored.conversation_id, intent=reply.intent, text=scored_text)
            if notice is not None:
                messages.append(OutboundMessage(text=notice))
        replies = conversations.record_replies(
            session,
            conversation_id=stored.conversation_id,
            message_id=stored.message_id,
            replies=messages,
            intent=reply.intent,
            confidence=reply.confidence,
        )
        return replies, conversation.state

    def _hold(self, session: Session, stored) -> list[OutboundMessage]:
        """Waiting for a person: the message is kept for them; the first in a row gets a note."""
        note = self._handoff.holding_note(session, stored.conversation_id, stored.message_id)
        replies = [OutboundMessage(text=note)] if note else []
        return conversations.record_replies(
            session,
            conversation_id=stored.conversation_id,
            message_id=stored.message_id,
            replies=replies,
            intent=None,
            confidence=None,
            mark_handled=False,
        )
