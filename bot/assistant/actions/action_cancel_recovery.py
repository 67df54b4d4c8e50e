from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.assistant.actions.support.base import CustomAction
from bot.assistant.actions.support.db import in_conversation
from feedback import recovery


class ActionCancelRecovery(CustomAction):
    """ "Never mind" during a recovery: the case is closed as cancelled and the form stops."""

    action_name = "action_cancel_recovery"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        with in_conversation(tracker) as (session, conversation):
            recovery.cancel_case(session, conversation_id=conversation.id, case_id=tracker.get_slot("recovery_case_id"))
        dispatcher.utter_message(response="utter_recovery_cancelled")
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            SlotSet("order_number", None),
            SlotSet("complaint_description", None),
            SlotSet("recovery_reasks", 0),
        ]
