from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support.context import context
from bot.conversation.store import conversation_by_public_id
from feedback import recovery


class ActionCancelRecovery(Action):
    """"Never mind" during a recovery: the case is closed as cancelled and the form stops."""

    def name(self) -> str:
        return "action_cancel_recovery"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        with context().transaction() as session:
            conversation = conversation_by_public_id(session, tracker.sender_id)
            recovery.cancel_case(session, conversation_id=conversation.id, case_id=tracker.get_slot("recovery_case_id"))
        dispatcher.utter_message(response="utter_recovery_cancelled")
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            SlotSet("order_number", None),
            SlotSet("complaint_description", None),
            SlotSet("recovery_reasks", 0),
        ]
