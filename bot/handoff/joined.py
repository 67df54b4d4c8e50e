"""A linked customer's other conversation joins the handoff when staff answer there.

Staff answering a person on another of their channels (transitions.reply(into=...)) put that
conversation with a person too: what the customer writes there goes to the same staff member,
not to the bot, until the handoff is resolved. No row records the join; a joined conversation is
one of the person's conversations that is with a person without a request of its own.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.handoff.queries import active_request
from bot.storage.followups import PersonIdentity
from bot.storage.models import Conversation, ConversationState, HandoffRequest, HandoffStatus


def _others(session: Session, conversation_id: int) -> list[Conversation]:
    """The person's other conversations (none for a customer never linked)."""
    customer_id = session.get(Conversation, conversation_id).customer_id
    person = select(PersonIdentity.person_id).where(PersonIdentity.customer_id == customer_id).scalar_subquery()
    identities = select(PersonIdentity.customer_id).where(PersonIdentity.person_id == person)
    return list(
        session.execute(
            select(Conversation).where(Conversation.customer_id.in_(identities), Conversation.id != conversation_id)
        ).scalars()
    )


def join(session: Session, conversation_id: int) -> None:
    """Staff answered here: the bot stays silent in this conversation (a request of its own wins)."""
    conversation = session.get(Conversation, conversation_id)
    if conversation.state == ConversationState.BOT.value:
        conversation.state = ConversationState.WITH_HUMAN.value


def release(session: Session, conversation_id: int) -> list[int]:
    """The handoff of `conversation_id` ended: its joined conversations go back to the bot."""
    released = []
    for other in _others(session, conversation_id):
        if other.state == ConversationState.WITH_HUMAN.value and active_request(session, other.id) is None:
            other.state = ConversationState.BOT.value
            released.append(other.id)
    return released


def holding_request(session: Session, conversation_id: int) -> HandoffRequest | None:
    """The request a customer message here belongs to: the conversation's own, or, for a joined
    conversation, the claimed request of another of the person's conversations."""
    own = active_request(session, conversation_id)
    if own is not None or session.get(Conversation, conversation_id).state != ConversationState.WITH_HUMAN.value:
        return own
    for other in _others(session, conversation_id):
        request = active_request(session, other.id)
        if request is not None and request.status == HandoffStatus.CLAIMED.value:
            return request
    return None
