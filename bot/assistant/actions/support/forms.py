"""The base of the form validators: rasa_sdk's FormValidationAction for forms whose slots are
read from the customer's latest message (custom mappings in domain/)."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT, FormValidationAction

from bot.assistant.actions.support import latest
from bot.assistant.actions.support.latest import fresh_answer


class LeaveForm(Exception):
    """Raised by a validate_<slot> method: the message is for a rule of its own, not an answer."""


class MessageFormValidation(FormValidationAction):
    """The slot the form asked for gets the latest message; its validate_<slot> method reads it
    and returns the slots to set (the asked slot None: ask again)."""

    @property
    @abstractmethod
    def action_name(self) -> str:
        """validate_<form name>, a class attribute of each validator; abstract, so rasa_sdk's
        executor does not register this base."""

    def name(self) -> str:
        return self.action_name

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if not fresh_answer(tracker, self.form_name()):
            return []  # activation, or back from a digression: the message was meant for something else
        asked = tracker.get_slot(REQUESTED_SLOT)
        try:
            events = await super().run(dispatcher, tracker, domain)
        except LeaveForm:
            return [ActionExecutionRejected(self.form_name())]
        # The asked slot stays empty when the message did not answer it: no event says so.
        return [e for e in events if not (e.get("name") == asked and e.get("value") is None)]

    async def get_extraction_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        asked = tracker.get_slot(REQUESTED_SLOT)
        if asked not in self.domain_slots(domain):
            return []
        return [SlotSet(asked, latest.text(tracker))]


def reask_or_give_up(
    tracker: Tracker, counter: str, max_reasks: int, slot: str, give_up: dict[str, Any]
) -> dict[str, Any]:
    """Ask again (the form re-asks an empty slot), at most max_reasks times as counted in the
    `counter` slot; then the slots of `give_up`, which should reset the counter."""
    reasks = int(tracker.get_slot(counter) or 0) + 1
    if reasks > max_reasks:
        return give_up
    return {slot: None, counter: reasks}
