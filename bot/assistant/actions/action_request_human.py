from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.assistant.actions.support.base import CustomAction
from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.db import in_conversation
from bot.assistant.actions.support.tracker_events import last_bot_action
from feedback import recovery


class ActionRequestHuman(CustomAction):
    """Hands the conversation to a person with the reason, and says honestly what happens next."""

    action_name = "action_request_human"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        offered = last_bot_action(tracker.events) == "action_did_you_mean"
        with in_conversation(tracker) as (session, conversation):
            handoff = recovery.hand_over_in_recovery(
                session,
                conversation,
                case_id=tracker.get_slot("recovery_case_id"),
                reason="repeated_fallback" if offered else "customer_request",
                handover=context(tracker).handover(),
            )
        dispatcher.utter_message(text=handoff)
        # Whatever form was running stops: a person takes it from here.
        return [ActiveLoop(None), SlotSet("requested_slot", None)]
