"""The staff desk's actions, shared by the web console and the Telegram staff chat.

Every action runs its database transition (bot/desk/handoffs.py) inside the router's lock for
that customer, then delivers what the customer should see through the channel registry: staff
replies and "a team member has joined/left" markers are stored first, so a customer whose
channel cannot push (REST, or a widget that is closed) still finds them in the history.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Callable, Optional, Protocol, Sequence, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import ChannelRegistry
from bot.conversation.store import record_bot_messages
from bot.desk import compensations
from bot.handoff import transitions as handoffs
from bot.desk.content import DeskContent
from bot.desk.events import DeskEvents
from bot.handoff.transitions import Outcome, TransitionRefused, customer_address
from bot.handoff.escalate import HAND_BACK_PAYLOAD, escalation_rules
from bot.conversation.messages import OutboundMessage
from bot.conversation.router import ConversationRouter
from bot.storage.models import (
    Compensation,
    ConversationState,
    HandoffRequest,
    StaffNote,
    StaffUser,
    utcnow,
)
from bot.handoff.triggers import is_open
from feedback.recovery import RecoveryContent

logger = logging.getLogger(__name__)

TIMEOUT_CHECK_SECONDS = 30
MAX_NOTE_CHARS = 4000

T = TypeVar("T")


class StaffNotifier(Protocol):
    """Somewhere staff hear about the queue besides the console (the Telegram staff chat)."""

    async def announce(self, handoff_id: int) -> None: ...

    async def relay_customer_message(self, handoff_id: int, message_id: int) -> None: ...

    async def handoff_changed(self, handoff_id: int) -> None: ...


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
        queue_timeout: Optional[timedelta] = None,
    ) -> None:
        self.sessions = sessions
        self.router = router
        self.channels = channels
        self.content = content
        self.recovery = recovery
        self.queue_timeout = queue_timeout
        self.events = DeskEvents()
        self.notifiers: list[StaffNotifier] = []
        router.listener = self
        router.desk_content = content

    # --- plumbing ---

    async def _db(self, work: Callable[[Session], T]) -> T:
        def run() -> T:
            with self.sessions.begin() as session:
                return work(session)

        return await asyncio.to_thread(run)

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

    async def _notify(self, method: str, *args) -> None:
        for notifier in self.notifiers:
            try:
                await getattr(notifier, method)(*args)
            except Exception:
                logger.exception("staff desk: notifier %s failed", method)

    def _changed(self, conversation_id: int) -> None:
        self.events.publish("queue")
        self.events.publish("conversation", conversation_id)

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
        self._changed(outcome.conversation_id)
        await self._notify("handoff_changed", outcome.handoff_id)
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
            return handoffs.claim(session, handoff_id, staff,
                                  joined_text=self.content.say("joined", name=staff.display_name))

        return await self._transition(conversation_id, work)

    async def reply(self, handoff_id: int, staff_id: int, text: str) -> Outcome:
        conversation_id = await self._conversation_of(handoff_id)
        return await self._transition(
            conversation_id, lambda s: handoffs.reply(s, handoff_id, self._staff(s, staff_id), text)
        )

    async def transfer(self, handoff_id: int, staff_id: int, to_staff_id: int) -> Outcome:
        conversation_id = await self._conversation_of(handoff_id)

        def work(session: Session) -> Outcome:
            to = session.get(StaffUser, to_staff_id)
            if to is None:
                raise TransitionRefused("there is no such staff member")
            return handoffs.transfer(session, handoff_id, self._staff(session, staff_id), to,
                                     left_text=self.content.messages["left"],
                                     joined_text=self.content.messages["joined"])

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
                outcome = handoffs.resolve(session, handoff_id, staff,
                                           left_text=self.content.say("left", name=holder.display_name))
                return outcome, holder.username

            outcome, handled_by = await self._db(work)
            await self._deliver(outcome.channel, outcome.sender_id, outcome.messages)
            bot_replies = await self.router.resume_with_bot(conversation_id, HAND_BACK_PAYLOAD, handled_by=handled_by)
            await self._deliver(outcome.channel, outcome.sender_id, from_bot(bot_replies))
        self._changed(conversation_id)
        await self._notify("handoff_changed", handoff_id)
        return Outcome(outcome.handoff_id, outcome.conversation_id, outcome.conversation_public_id,
                       outcome.channel, outcome.sender_id, list(outcome.messages) + list(bot_replies))

    async def add_note(self, conversation_id: int, staff_id: int, text: str) -> None:
        text = text.strip()
        if not text:
            raise TransitionRefused("the note is empty")
        if len(text) > MAX_NOTE_CHARS:
            raise TransitionRefused(f"the note is longer than {MAX_NOTE_CHARS} characters")

        def work(session: Session) -> None:
            staff = self._staff(session, staff_id)
            session.add(StaffNote(conversation_id=conversation_id, author_id=staff.id, text=text, created_at=utcnow()))

        await self._db(work)
        self.events.publish("conversation", conversation_id)

    async def decide_compensation(self, compensation_id: int, staff_id: int, *, approve: bool) -> None:
        """Approve or decline; the customer is told the outcome in their channel."""

        def work(session: Session):
            staff = self._staff(session, staff_id)
            decision = compensations.decide(session, compensation_id, staff, approve=approve,
                                            wording=self.content.messages, recovery=self.recovery)
            message = handoffs.store_agent_message(
                session, decision.conversation_id,
                OutboundMessage(text=decision.customer_text, custom={"from": "agent", "name": staff.display_name}),
                staff_id=staff.id, now=utcnow(),
            )
            return decision, message, customer_address(session, decision.conversation_id)

        # The customer's address first, so the lock is the right one; the decision itself is
        # guarded by its own conditional update.
        conversation_id = await self._db(lambda s: compensations_conversation(s, compensation_id))
        channel, sender_id = await self._address(conversation_id)
        async with self.router.exclusive(channel, sender_id):
            decision, message, (channel, sender_id) = await self._db(work)
            await self._deliver(channel, sender_id, [message])
        self._changed(decision.conversation_id)

    # --- the router's listener ---

    async def on_escalated(self, conversation_id: int) -> None:
        """A request was queued, or (the customer said "never mind") left the queue."""

        def find(session: Session) -> tuple[Optional[int], bool]:
            handoff = handoffs.active_request(session, conversation_id)
            if handoff is not None:
                return handoff.id, True
            latest = session.execute(
                select(HandoffRequest.id).where(HandoffRequest.conversation_id == conversation_id)
                .order_by(HandoffRequest.id.desc()).limit(1)
            ).scalar_one_or_none()
            return latest, False

        handoff_id, queued = await self._db(find)
        self._changed(conversation_id)
        if handoff_id is not None:
            await self._notify("announce" if queued else "handoff_changed", handoff_id)

    async def on_customer_message(self, conversation_id: int, message_id: int, state: str) -> None:
        self._changed(conversation_id)
        if state != ConversationState.WITH_HUMAN.value:
            return
        handoff_id = await self._db(
            lambda s: getattr(handoffs.active_request(s, conversation_id), "id", None)
        )
        if handoff_id is not None:
            await self._notify("relay_customer_message", handoff_id, message_id)

    # --- the queue timeout ---

    async def time_out_waiting(self, now: Optional[datetime] = None) -> list[int]:
        """Requests queued longer than the limit during business hours: tell each customer once.
        Outside business hours customers were already told when people are back."""
        if self.queue_timeout is None:
            return []
        now = now or utcnow()
        rules = escalation_rules()
        if rules.hours and not is_open(rules, now):
            return []
        due = await self._db(lambda s: handoffs.waiting_since_before(s, now - self.queue_timeout))
        timed_out = []
        for handoff_id in due:
            conversation_id = await self._conversation_of(handoff_id)
            channel, sender_id = await self._address(conversation_id)
            async with self.router.exclusive(channel, sender_id):

                def work(session: Session) -> list[OutboundMessage]:
                    if not handoffs.time_out(session, handoff_id, now):
                        return []
                    return record_bot_messages(session, conversation_id,
                                               [OutboundMessage(text=self.content.say("timed_out"))])

                told = await self._db(work)
                await self._deliver(channel, sender_id, from_bot(told))
            if told:
                timed_out.append(handoff_id)
                self._changed(conversation_id)
                await self._notify("handoff_changed", handoff_id)
        return timed_out

    def start(self) -> None:
        self._timeouts = asyncio.create_task(self.run_timeouts())

    def stop(self) -> None:
        task = getattr(self, "_timeouts", None)
        if task is not None:
            task.cancel()

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
