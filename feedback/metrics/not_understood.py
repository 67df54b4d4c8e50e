"""Customer messages the assistant did not understand: a query on the response name stored with
each bot reply (messages.response), not a match on the reply's text."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from bot.storage.models import Direction, Message
from feedback.metrics.period import Filters, chunks, in_period, with_channel

# The assistant read these as "not understood" (nlu_fallback) or "nothing I can answer" (out_of_scope).
FALLBACK_INTENTS = ("nlu_fallback", "out_of_scope")
# The bot's answers that mean "I did not understand": a message the assistant read as a fallback
# but that a form took as an answer (an order number, a typed score) was understood after all.
FALLBACK_RESPONSES = ("utter_default", "utter_did_you_mean", "utter_offer_human", "utter_out_of_scope")


def is_not_understood():
    """The condition on Message: a customer message read as a fallback and answered with a fallback
    response. Replies stored before migration 0006 have no response and never match."""
    reply = aliased(Message)
    answered_as_fallback = (
        select(reply.id)
        .where(
            reply.reply_to_id == Message.id,
            reply.direction == Direction.BOT.value,
            reply.response.in_(FALLBACK_RESPONSES),
        )
        .exists()
    )
    return and_(
        Message.direction == Direction.CUSTOMER.value,
        Message.intent.in_(FALLBACK_INTENTS),
        answered_as_fallback,
    )


def not_understood_in_period(session: Session, filters: Filters) -> list[tuple[int, str]]:
    """(conversation id, text) of the period's not-understood customer messages, oldest first."""
    query = with_channel(select(Message.conversation_id, Message.text), filters, Message.conversation_id)
    rows = session.execute(
        query.where(is_not_understood(), in_period(Message.created_at, filters)).order_by(Message.id)
    )
    return [(conversation_id, text) for conversation_id, text in rows]


def not_understood_per_conversation(session: Session, conversation_ids: Iterable[int]) -> Counter[int]:
    """How many messages of each conversation were not understood (any time)."""
    counts: Counter[int] = Counter()
    for chunk in chunks(sorted(set(conversation_ids))):
        counts.update(
            dict(
                session.execute(
                    select(Message.conversation_id, func.count())
                    .where(Message.conversation_id.in_(chunk), is_not_understood())
                    .group_by(Message.conversation_id)
                ).all()
            )
        )
    return counts


def count_not_understood(session: Session) -> int:
    """All not-understood customer messages in the database."""
    return session.execute(select(func.count()).select_from(Message).where(is_not_understood())).scalar_one()
