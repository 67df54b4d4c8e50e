"""What the custom actions work with: the content, the database and the shop's name.

rasa_sdk builds the actions itself (in-process, bot/assistant/rasa.py), so they take no
constructor arguments: the assistant installs one ActionContext when it loads, and actions read
it with context(). Action tests install their own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import sessionmaker

from bot.assistant.actions.support.handover import HandoffDesk

if TYPE_CHECKING:
    from bot.app.content import Content


@dataclass(frozen=True)
class ActionContext:
    content: Content
    sessions: sessionmaker
    shop_name: str

    def transaction(self):
        """A session in a transaction, committed when the block ends without error."""
        return self.sessions.begin()

    def handover(self) -> HandoffDesk:
        """The handoff queue, worded by the content (feedback services take it as a Handover)."""
        return HandoffDesk(rules=self.content.escalation, desk=self.content.desk)


_installed: ActionContext | None = None


def install(action_context: ActionContext | None) -> None:
    """Make `action_context` the one the actions use (None removes it)."""
    global _installed
    _installed = action_context


def context(tracker: Any = None) -> ActionContext:
    """The installed context, its content in the language of `tracker` (its `language` slot);
    an action run before the assistant loaded is a wiring mistake."""
    if _installed is None:
        raise RuntimeError(
            "no action context installed: load the assistant with RasaAssistant.load(...), or call "
            "bot.assistant.actions.support.context.install(ActionContext(...)) first"
        )
    if tracker is None:
        return _installed
    language = tracker.get_slot("language")
    if _installed.content.in_language(language) is _installed.content:
        return _installed
    return replace(_installed, content=_installed.content.in_language(language))
