"""The staff desk's actions, shared by the web console and the Telegram staff chat.

Every action runs its database transition (bot/handoff/transitions.py) inside the router's lock
for that customer, then delivers what the customer should see through the channel registry: staff
replies and "a team member has joined/left" markers are stored first, so a customer whose
channel cannot push (REST, or a widget that is closed) still finds them in the history. Each
change of a handoff is published as a HandoffChanged event; the desk itself listens to the
router's events (the server subscribes it) to keep open consoles and the staff chat current.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import ChannelRegistry
from bot.conversation.events import (
    ConversationEscalated,
    CustomerMessageForStaff,
    EventBus,
    HandoffChanged,
    HandoffQueued,
    MessageForHolder,
)
from bot.conversation.messages import OutboundMessage
from bot.conversation.router import ConversationRouter
from bot.conversation.store import customer_language, write_messages
from bot.desk import compensations
from bot.desk.events import DeskEvents
from bot.desk.profile import answer_on, identity_address
from bot.handoff import transitions as handoffs
from bot.handoff.content import DeskContent
from bot.handoff.joined import holding_request
from bot.handoff.queries import active_request, customer_address, waiting_since_before
from bot.handoff.rules import EscalationRules, is_open
from bot.handoff.transitions import Outcome, TransitionRefused
from bot.privacy import audit
from bot.storage.database import run_in_session
from bot.storage.models import (
    Compensation,
    Conversation,
    ConversationState,
    Direction,
    HandoffRequest,
    StaffNote,
    StaffUser,
    utcnow,
)
from feedback.recovery import RecoveryContent

logger = logging.getLogger(__name__)

TIMEOUT_CHECK_SECONDS = 30
MAX_NOTE_CHARS = 4000

# What the desk sends the assistant when a person hands a conversation back: the bot then
# offers a CES survey (the rule is in stories/surveys.yml).
HAND_BACK_PAYLOAD = "/handoff_resolved"

T = TypeVar("T")


def from_bot(messages: Sequence[OutboundMessage]) -> list[OutboundMessage]:
    """Pushed messages show as the team's unless they say otherwise (the widget's rule)."""
    return [replace(m, custom={**(m.custom or {}), "from": "bot"}) for m in messages]


class Desk:
    def __init__(
        self,
        *,
        sessions: sessionmaker,
        router: ConversationRouter,
        channels: ChannelRegistry,
        content: DeskContent,
        recovery: RecoveryContent,
        escalation: EscalationRules,
        events: EventBus,
        queue_timeout: timedelta | None = None,
        recovery_translations: Mapping[str, RecoveryContent] | None = None,
    ) -> None:
        self.sessions = sessions
        self.router = router
        self.channels = channels
        self.content = content
        self.recovery = recovery
        self.recovery_translations = recovery_translations or {}  # offers worded per language
        self.escalation = escalation  # business hours: the queue times out only while people are there
        self.queue_timeout = queue_timeout
        self._events = events  # where the desk publishes handoff changes
        self.live = DeskEvents()  # what open consoles reload
        self._timeouts: asyncio.Task | None = None

    # --- plumbing ---

    def _wording(self, session: Session, conversation_id: int) -> DeskContent:
        """The desk's messages in the language of the conversation's customer."""
        return self.content.in_language(customer_language(session, conversation_id))

    async def _db(self, work: Callable[[Session], T]) -> T:
        return await run_in_session(self.sessions, work)

    async def _address(self, conversation_id: int) -> tuple[str, str]:
        return await self._db(lambda s: customer_address(s, conversation_id))

    async def _deliver(self, channel: str, sender_id: str, messages: Sequence[OutboundMessage]) -> None:
        if not messages:
            return
        try:
            await self.channels.deliver(channel, sender_id, messages)
        except Exception:
            # Stored already: the customer sees it in the history; staff see it in the transcript.
            logger.exception("staff desk: could not deliver to %s %s", channel, sender_id)

    def _changed(self, conversation_id: int) -> None:
        self.live.publish("queue")
        self.live.publish("conversation", conversation_id)

    @staticmethod
    def _staff(session: Session, staff_id: int) -> StaffUser:
        staff = session.get(StaffUser, staff_id)
        if staff is None or not staff.active:
            raise TransitionRefused("your account is disabled")
        return staff

    async def _transition(self, conversation_id: int, work: Callable[[Session], Outcome]) -> Outcome:
        channel, sender_id = await self._address(conversation_id)
        async with self.router.exclusive(channel, sender_id):
            outcome = await self._db(work)
            await self._deliver(outcome.channel, outcome.sender_id, outcome.messages)
        await self._events.publish(HandoffChanged(outcome.handoff_id, outcome.conversation_id))
        return outcome

    async def _conversation_of(self, handoff_id: int) -> int:
        def find(session: Session) -> int:
            handoff = session.get(HandoffRequest, handoff_id)
            if handoff is None:
                raise TransitionRefused("there is no such request")
            return handoff.conversation_id

        return await self._db(find)

    # --- staff actions ---

    async def claim(self, handoff_id: int, staff_id: int) -> Outcome:
        """Raises AlreadyClaimed (with the holder's name) when someone else was first."""
        conversation_id = await self._conversation_of(handoff_id)

        def work(session: Session) -> Outcome:
            staff = self._staff(session, staff_id)
            wording = self._wording(session, conversation_id)
            return handoffs.claim(
                session, handoff_id, staff, joined_text=wording.say("joined", name=staff.display_name)
            )

        return await self._transition(conversation_id, work)

    async def reply(self, handoff_id: int, staff_id: int, text: str, *, via: int | None = None) -> Outcome:
        """`via`: the customer (identity) of the person to answer on; None, this conversation's."""
        conversation_id = await self._conversation_of(handoff_id)

        def work(session: Session) -> Outcome:
            into = answer_on(session, conversation_id, via)
            return handoffs.reply(session, handoff_id, self._staff(session, staff_id), text, into=into)

        addresses = {await self._address(conversation_id)}
        if via is not None:
            addresses |= set(await self._db(lambda s: identity_address(s, via)))
        async with AsyncExitStack() as locks:
            # Warning: both customers' locks, always in the same (sorted) order, so two replies
            # crossing between the same two identities cannot wait for each other.
            for channel, sender_id in sorted(addresses):
                await locks.enter_async_context(self.router.exclusive(channel, sender_id))
            outcome = await self._db(work)
            await self._deliver(outcome.channel, outcome.sender_id, outcome.messages)
        await self._events.publish(HandoffChanged(outcome.handoff_id, outcome.conversation_id))
        return outcome

    async def transfer(self, handoff_id: int, staff_id: int, to_staff_id: int) -> Outcome:
        conversation_id = await self._conversation_of(handoff_id)

        def work(session: Session) -> Outcome:
            to = session.get(StaffUser, to_staff_id)
            if to is None:
                raise TransitionRefused("there is no such staff member")
            return handoffs.transfer(
                session,
                handoff_id,
                self._staff(session, staff_id),
                to,
                left_text=self._wording(session, conversation_id).messages["left"],
                joined_text=self._wording(session, conversation_id).messages["joined"],
            )

        return await self._transition(conversation_id, work)

    async def resolve(self, handoff_id: int, staff_id: int) -> Outcome:
        """Hand back to the bot: the "left" marker, then the bot's CES question, in that order."""
        conversation_id = await self._conversation_of(handoff_id)
        channel, sender_id = await self._address(conversation_id)
        async with self.router.exclusive(channel, sender_id):

            def work(session: Session) -> tuple[Outcome, str]:
                staff = self._staff(session, staff_id)
                # A manager may resolve someone else's conversation: the holder is who "has left".
                holder = session.get(StaffUser, session.get(HandoffRequest, handoff_id).assigned_to_id or staff.id)
                holder = holder or staff
                wording = self._wording(session, conversation_id)
                outcome = handoffs.resolve(
                    session, handoff_id, staff, left_text=wording.say("left", name=holder.display_name)
                )
                return outcome, holder.username

            outcome, handled_by = await self._db(work)
            await self._deliver(outcome.channel, outcome.sender_id, outcome.messages)
            bot_replies = await self.router.resume_with_bot(conversation_id, HAND_BACK_PAYLOAD, handled_by=handled_by)
            await self._deliver(outcome.channel, outcome.sender_id, from_bot(bot_replies))
        await self._events.publish(HandoffChanged(handoff_id, conversation_id))
        return Outcome(
            outcome.handoff_id,
            outcome.conversation_id,
            outcome.conversation_public_id,
            outcome.channel,
            outcome.sender_id,
            list(outcome.messages) + list(bot_replies),
        )

    async def add_note(self, conversation_id: int, staff_id: int, text: str) -> None:
        text = text.strip()
        if not text:
            raise TransitionRefused("the note is empty")
        if len(text) > MAX_NOTE_CHARS:
            raise TransitionRefused(f"the note is longer than {MAX_NOTE_CHARS} characters")

        def work(session: Session) -> None:
            staff = self._staff(session, staff_id)
            if session.get(Conversation, conversation_id) is None:
                raise TransitionRefused("there is no such conversation")
            session.add(StaffNote(conversation_id=conversation_id, author_id=staff.id, text=text, created_at=utcnow()))
            audit.record(
                session, audit.Actor(staff.username, staff.id), audit.NOTE_ADDED, f"conversation:{conversation_id}"
            )

        await self._db(work)
        self.live.publish("conversation", conversation_id)

    async def decide_compensation(self, compensation_id: int, staff_id: int, *, approve: bool) -> None:
        """Approve or decline; the customer is told the outcome in their channel."""

        def work(session: Session):
            staff = self._staff(session, staff_id)
            language = customer_language(session, conversation_id) or ""
            decision = compensations.decide(
                session,
                compensation_id,
                staff,
                approve=approve,
                wording=self.content.in_language(language).messages,
                recovery=self.recovery_translations.get(language, self.recovery),
            )
            messages = write_messages(
                session,
                decision.conversation_id,
                [OutboundMessage(text=decision.customer_text, custom={"from": "agent", "name": staff.display_name})],
                direction=Direction.AGENT,
                staff_id=staff.id,
            )
            outcome = "approved" if approve else "declined"
            actor = audit.Actor(staff.username, staff.id)
            audit.record(session, actor, audit.COMPENSATION_DECIDED, f"compensation:{compensation_id}", outcome)
            return decision, messages, customer_address(session, decision.conversation_id)

        # The customer's address first, so the lock is the right one; the decision itself is
        # guarded by its own conditional update.
        conversation_id = await self._db(lambda s: compensations_conversation(s, compensation_id))
        channel, sender_id = await self._address(conversation_id)
        async with self.router.exclusive(channel, sender_id):
            decision, messages, (channel, sender_id) = await self._db(work)
            await self._deliver(channel, sender_id, messages)
        self._changed(decision.conversation_id)

    # --- listening (the server subscribes these to the router's events) ---

    async def on_escalated(self, event: ConversationEscalated) -> None:
        """A request was queued: consoles reload, staff elsewhere are told."""

        def find(session: Session) -> tuple[int | None, bool]:
            handoff = active_request(session, event.conversation_id)
            if handoff is not None:
                return handoff.id, True
            latest = session.execute(
                select(HandoffRequest.id)
                .where(HandoffRequest.conversation_id == event.conversation_id)
                .order_by(HandoffRequest.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            return latest, False

        handoff_id, queued = await self._db(find)
        if handoff_id is None:
            self._changed(event.conversation_id)
        elif queued:
            self._changed(event.conversation_id)
            await self._events.publish(HandoffQueued(handoff_id, event.conversation_id))
        else:  # over already (a person resolved it meanwhile): consoles and posts catch up
            await self._events.publish(HandoffChanged(handoff_id, event.conversation_id))

    async def on_customer_message(self, event: CustomerMessageForStaff) -> None:
        """A waiting customer wrote: consoles reload; the person who has them hears it too."""
        self._changed(event.conversation_id)
        if event.state != ConversationState.WITH_HUMAN.value:
            return
        handoff = await self._db(lambda s: holding_request(s, event.conversation_id))  # joined ones too
        if handoff is not None:
            if handoff.conversation_id != event.conversation_id:
                self._changed(handoff.conversation_id)
            await self._events.publish(MessageForHolder(handoff.id, event.conversation_id, event.message_id))

    async def on_handoff_changed(self, event: HandoffChanged) -> None:
        """Open consoles reload the queue and the conversation."""
        self._changed(event.conversation_id)

    # --- the queue timeout ---

    async def time_out_waiting(self, now: datetime | None = None) -> list[int]:
        """Requests queued longer than the limit during business hours: tell each customer once.
        Outside business hours customers were already told when people are back."""
        if self.queue_timeout is None:
            return []
        now = now or utcnow()
        rules = self.escalation
        if rules.hours and not is_open(rules, now):
            return []
        due = await self._db(lambda s: waiting_since_before(s, now - self.queue_timeout))
        timed_out = []
        for handoff_id in due:
            conversation_id = await self._conversation_of(handoff_id)
            channel, sender_id = await self._address(conversation_id)
            async with self.router.exclusive(channel, sender_id):

                def work(
                    session: Session, handoff_id=handoff_id, conversation_id=conversation_id
                ) -> list[OutboundMessage]:
                    if not handoffs.time_out(session, handoff_id, now):
                        return []
                    text = self._wording(session, conversation_id).say("timed_out")
                    return write_messages(session, conversation_id, [OutboundMessage(text=text)])

                told = await self._db(work)
                await self._deliver(channel, sender_id, from_bot(told))
            if told:
                timed_out.append(handoff_id)
                await self._events.publish(HandoffChanged(handoff_id, conversation_id))
        return timed_out

    def start(self) -> None:
        self._timeouts = asyncio.create_task(self.run_timeouts())

    def stop(self) -> None:
        if self._timeouts is not None:
            self._timeouts.cancel()

    async def run_timeouts(self) -> None:
        while True:
            await asyncio.sleep(TIMEOUT_CHECK_SECONDS)
            try:
                await self.time_out_waiting()
            except Exception:
                logger.exception("staff desk: the queue timeout check failed")


def compensations_conversation(session: Session, compensation_id: int) -> int:
    row = session.get(Compensation, compensation_id)
    if row is None:
        raise TransitionRefused("there is no such compensation")
    return row.conversation_id
