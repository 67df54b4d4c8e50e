"""What the router talks to, as protocols its callers implement: the assistant, the handoff
policy, the follow-up answers; and the small results they hand back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.conversation.messages import OutboundMessage

# The apology when the assistant fails on a message, for a router given none (the server gives
# desk.yml's `assistant_error` in each language: the assistant, which holds the wording, failed).
APOLOGY_ON_ERROR = (
    "Sorry, something went wrong on our side and I couldn't answer that. "
    "Your message is saved; please try again in a moment."
)


@dataclass(frozen=True)
class AssistantReply:
    messages: Sequence[OutboundMessage]
    intent: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class Turn:
    # When this message id was handled before, the stored replies (already sent once).
    replies: list[OutboundMessage]


class Assistant(Protocol):
    async def respond(
        self, conversation_id: str, text: str, *, channel: str, metadata: dict[str, Any]
    ) -> AssistantReply:
        """Answer one customer message in a conversation."""


class ReadingAssistant(Assistant, Protocol):
    """An assistant that can also read a message without answering it (for "never mind")."""

    async def parse(self, text: str) -> tuple[str | None, float | None]:
        """The intent of a text and how sure the assistant is; no conversation changes."""


class HandoffPolicy(Protocol):
    """When a person takes over, asked inside the transaction that stores the customer's message.
    The handoff package implements it; the server passes it in, since handoff sits above this one."""

    def holding_note(self, session: Session, conversation_id: int, message_id: int) -> str | None:
        """A message while the customer waits for a person: the note they get, or None for silence."""

    def after_reply(self, session: Session, conversation_id: int, *, intent: str | None, text: str) -> str | None:
        """After the bot answered a scored message: if the mood calls for a person, open the handoff
        and return the notice sent with the replies; else None."""

    def cancel_while_queued(self, session: Session, conversation_id: int) -> int | None:
        """The customer said "never mind" while queued: the cancelled handoff's id, or None if a
        person has it already."""


@dataclass(frozen=True)
class FollowUpTurn:
    replies: list[OutboundMessage]  # stored already, as replies to the customer's message
    escalated: bool = False  # the answer handed the conversation to a person


class FollowUpAnswers(Protocol):
    """Answers to a message the bot sent first (bot/followup), read before the assistant."""

    def answer(self, session: Session, *, conversation_id: int, message_id: int, text: str) -> FollowUpTurn | None:
        """When `text` answers the customer's follow-up: its stored replies; else None."""


# "Never mind" while waiting for a person: the NLU's cancel intent, when it is this sure.
CANCEL_INTENT = "cancel"
CANCEL_MIN_CONFIDENCE = 0.7


@dataclass(frozen=True)
class NeverMind:
    """How a waiting customer cancels their request for a person: `parse` reads a message's
    intent and confidence (the assistant's NLU), `reply` is what they are told."""

    parse: Callable[[str], Awaitable[tuple[str | None, float | None]]]
    reply: str
    # The reply in other languages, by language code.
    translations: Mapping[str, str] = field(default_factory=dict)


def is_command(text: str) -> bool:
    """Button payloads and slash commands are not customer prose: they get no sentiment."""
    return text.startswith("/")
