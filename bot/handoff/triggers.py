"""When a customer should reach a person: anger, a run of negative messages, a poor survey answer;
and the note a customer gets while waiting."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.handoff.content import DeskContent
from bot.handoff.rules import EscalationRules
from bot.handoff.transitions import Handoff, escalate
from bot.storage.models import (
    Conversation,
    ConversationState,
    Direction,
    Message,
    RecoveryCase,
    RecoveryStatus,
)
from feedback.language import normalise_persian

NEGATIONS = ("not", "never", "no", "isn't", "wasn't", "aren't", "i'm not")


def angry(rules: EscalationRules, text: str) -> bool:
    """A word of anger in the message, not negated ("not angry" is not anger)."""
    cleaned = " " + re.sub(r"[^\w' ]+", " ", normalise_persian(text).lower().replace("’", "'")) + " "
    for cue in rules.anger_cues:
        for match in re.finditer(rf" {re.escape(cue)} ", cleaned):
            before = cleaned[: match.start()].split()
            if not before or before[-1] not in NEGATIONS:
                return True
    return False


def sentiment_trigger(rules: EscalationRules, polarities: Sequence[float], latest_text: str = "") -> str | None:
    """The reason to escalate on the customer's scored messages (oldest first), or None."""
    if not polarities:
        return None
    if angry(rules, latest_text):
        return "very_negative_message"
    if polarities[-1] <= rules.single_at_or_below:
        return "very_negative_message"
    recent = polarities[-rules.sentiment_window :]
    if len(recent) == rules.sentiment_window and sum(recent) / len(recent) < rules.rolling_below:
        return "negative_sentiment"
    return None


def survey_trigger(
    rules: EscalationRules, *, kind: str, score: int | None = None, answer: str | None = None
) -> str | None:
    if kind == "nps" and score is not None and score <= rules.nps_detractor_at_or_below:
        return "nps_detractor"
    if kind == "ces" and answer in rules.ces_escalate:
        return "difficult_ces"
    return None


# Built once (they run after every scored message): SQLAlchemy reuses their compiled forms.
_RECENT_POLARITIES = (
    select(Message.polarity)
    .where(
        Message.conversation_id == bindparam("conversation_id"),
        Message.direction == Direction.CUSTOMER.value,
        Message.polarity.isnot(None),
    )
    .order_by(Message.id.desc())
    .limit(bindparam("limit"))
)
_RECOVERY_IN_PROGRESS = select(RecoveryCase.id).where(
    RecoveryCase.conversation_id == bindparam("conversation_id"),
    RecoveryCase.status.in_((RecoveryStatus.OPEN.value, RecoveryStatus.OFFERED.value)),
)


def _recent_polarities(session: Session, conversation_id: int, limit: int) -> list[float]:
    rows = session.execute(_RECENT_POLARITIES, {"conversation_id": conversation_id, "limit": limit}).scalars().all()
    return list(reversed(rows))


def _recovery_in_progress(session: Session, conversation_id: int) -> bool:
    return session.execute(_RECOVERY_IN_PROGRESS, {"conversation_id": conversation_id}).first() is not None


def escalate_on_sentiment(
    session: Session,
    conversation_id: int,
    *,
    intent: str | None,
    text: str = "",
    rules: EscalationRules,
    desk: DeskContent,
) -> Handoff | None:
    """After the bot answered: hand an unhappy customer to a person, unless the bot is already
    handling the unhappiness (a complaint being recovered) or a person already has it."""
    conversation = session.get(Conversation, conversation_id)
    if conversation.state != ConversationState.BOT.value:
        return None
    if (intent or "").startswith("complain_"):
        return None
    reason = sentiment_trigger(rules, _recent_polarities(session, conversation_id, rules.sentiment_window), text)
    # The recovery check second: most messages call for no one, and then it is never read.
    if reason is None or _recovery_in_progress(session, conversation_id):
        return None
    handoff = escalate(session, conversation, reason=reason, rules=rules, desk=desk)
    return Handoff(created=handoff.created, message=f"{rules.messages['empathy']} {handoff.message}")


def holding_note(session: Session, conversation_id: int, message_id: int, *, rules: EscalationRules) -> str | None:
    """While waiting for a person: a note for the first message after the handoff, then silence
    (the earlier messages still waiting are the ones nobody has handled yet)."""
    previous_handled = session.execute(
        select(Message.handled)
        .where(
            Message.conversation_id == conversation_id,
            Message.direction == Direction.CUSTOMER.value,
            Message.id < message_id,
        )
        .order_by(Message.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if previous_handled is False:
        return None
    return rules.messages["holding"]
