"""bot/handoff behind the Handover port the feedback services take (they do not import bot/)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.handoff import triggers
from bot.handoff.rules import escalation_rules
from bot.handoff.transitions import escalate
from bot.storage.models import Conversation


class HandoffDesk:
    """Reaches a person through the handoff queue, with the rules in content/escalation.yml."""

    def escalate(self, session: Session, conversation: Conversation, *, reason: str) -> str:
        return escalate(session, conversation, reason=reason).message

    def survey_reason(self, *, kind: str, score: int | None, answer: str | None) -> str | None:
        return triggers.survey_trigger(escalation_rules(), kind=kind, score=score, answer=answer)


handover = HandoffDesk()
