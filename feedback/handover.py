"""How feedback services reach a person, without importing bot/: bot/handoff implements this and
the actions pass it in (bot/assistant/actions/support/handover.py)."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from bot.storage.models import Conversation


class Handover(Protocol):
    def escalate(self, session: Session, conversation: Conversation, *, reason: str) -> str:
        """Queue the conversation for a person (once); returns what to tell the customer."""
        ...

    def survey_reason(self, *, kind: str, score: int | None, answer: str | None) -> str | None:
        """The handoff reason a survey answer calls for (a detractor, a difficult CES), or None."""
        ...
