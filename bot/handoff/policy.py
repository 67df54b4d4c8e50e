"""The handoff policy the conversation router follows (its `HandoffPolicy`): the escalation rules
in content/ and the handoff state machine. The server hands it to the router, which sits below
this package and does not import it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from bot.conversation.store import customer_language
from bot.handoff.content import DeskContent
from bot.handoff.rules import EscalationRules
from bot.handoff.transitions import cancel_by_customer
from bot.handoff.triggers import escalate_on_sentiment, holding_note


@dataclass(frozen=True)
class HandoffByRules:
    """Escalate on the customer's mood, note the first message while waiting, cancel on "never mind"."""

    rules: EscalationRules  # content/escalation.yml
    desk: DeskContent  # how handoffs are worded to the customer (content/desk.yml)
    # The same in the other languages: a customer is told in theirs (customers.locale).
    translations: Mapping[str, HandoffByRules] = field(default_factory=dict)

    def _for(self, session: Session, conversation_id: int) -> HandoffByRules:
        if not self.translations:
            return self
        return self.translations.get(customer_language(session, conversation_id) or "", self)

    def holding_note(self, session: Session, conversation_id: int, message_id: int) -> str | None:
        """The note for a waiting customer's message, or None."""
        rules = self._for(session, conversation_id).rules
        return holding_note(session, conversation_id, message_id, rules=rules)

    def after_reply(self, session: Session, conversation_id: int, *, intent: str | None, text: str) -> str | None:
        """The handoff notice if the customer's mood calls for a person, or None."""
        worded = self._for(session, conversation_id)
        handoff = escalate_on_sentiment(
            session, conversation_id, intent=intent, text=text, rules=worded.rules, desk=worded.desk
        )
        return None if handoff is None else handoff.message

    def cancel_while_queued(self, session: Session, conversation_id: int) -> int | None:
        """The cancelled handoff's id, or None if nothing was queued."""
        outcome = cancel_by_customer(session, conversation_id)
        return None if outcome is None else outcome.handoff_id
