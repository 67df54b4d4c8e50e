from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.assistant.actions.support.base import CustomAction
from bot.assistant.actions.support.context import context


class ActionAskOrderNumber(CustomAction):
    """Asks for the order number, with an "I don't have it" button; re-asks say what's expected."""

    action_name = "action_ask_order_number"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        content = context(tracker).content.recovery
        key = "reask_order_number" if (tracker.get_slot("recovery_reasks") or 0) > 0 else "ask_order_number"
        dispatcher.utter_message(
            text=content.message(key),
            buttons=[
                {
                    "title": content.messages.get("no_order_number_button", "I don't have it"),
                    "payload": "/no_order_number",
                }
            ],
        )
        return []
