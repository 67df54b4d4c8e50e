from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.assistant.actions.support.base import CustomAction
from bot.assistant.actions.support.context import context


class ActionSessionStart(CustomAction):
    """Starts a session with the shop's name in a slot, so responses can use it."""

    action_name = "action_session_start"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
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
