"""Recording customer messages the assistant cannot read (photos, stickers, voice, edits).

They must not reach the assistant: Rasa reads "[photo]" as a greeting and "[file]" as a yes,
which would record FAQ feedback nobody gave. They must not vanish either: the staff desk should
see that a photo arrived. So the message is stored with the channel's fixed reply, like any turn.

This belongs on ConversationRouter (its lock and dedupe); it lives here until the router has it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.orm import sessionmaker

from bot import conversations
from bot.messages import InboundMessage, OutboundMessage


@dataclass(frozen=True)
class RecordedReply:
    replies: list[OutboundMessage]
    duplicate: bool  # this message id was recorded before: its reply went out then


class UnreadableMessages:
    def __init__(self, session_factory: sessionmaker, timeout) -> None:
        self._sessions = session_factory
        self._timeout = timeout

    async def record(self, inbound: InboundMessage, reply: OutboundMessage) -> RecordedReply:
        """Store `inbound` (its text is a marker like "[photo]") answered by `reply`, once."""
        return await asyncio.to_thread(self._record, inbound, reply)

    def _record(self, inbound: InboundMessage, reply: OutboundMessage) -> RecordedReply:
        with self._sessions.begin() as session:
            stored = conversations.record_inbound(
                session, inbound, text=inbound.text, sentiment=None, timeout=self._timeout
            )
            if stored.duplicate_of is not None:
                return RecordedReply(conversations.stored_replies(session, stored.message_id), True)
            replies = conversations.record_replies(
                session, message_id=stored.message_id, replies=[reply], intent=None, confidence=None
            )
            return RecordedReply(replies, False)
