from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support.context import context


class ActionSessionStart(Action):
    """Starts a session with the shop's name in a slot, so responses can use it."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        carried = [
            SlotSet(key, value)
            for key, value in tracker.current_slot_values().items()
            if value is not None and key != "shop_name"
        ]
        return [
            SessionStarted(),
            *carried,
            SlotSet("shop_name", context().shop_name),
            ActionExecuted("action_listen"),
        ]
