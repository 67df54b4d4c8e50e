"""bot/handoff behind the Handover port the feedback services take (they do not import bot/)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from bot.handoff import triggers
from bot.handoff.content import DeskContent
from bot.handoff.rules import EscalationRules
from bot.handoff.transitions import escalate
from bot.storage.models import Conversation


@dataclass(frozen=True)
class HandoffDesk:
    """Reaches a person through the handoff queue, with the rules in content/escalation.yml."""

    rules: EscalationRules
    desk: DeskContent

    def escalate(self, session: Session, conversation: Conversation, *, reason: str) -> str:
        return escalate(session, conversation, reason=reason, rules=self.rules, desk=self.desk).message

    def survey_reason(self, *, kind: str, score: int | None, answer: str | None) -> str | None:
        return triggers.survey_trigger(self.rules, kind=kind, score=score, answer=answer)
