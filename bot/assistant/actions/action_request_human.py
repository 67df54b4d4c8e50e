from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.assistant.actions.support.base import CustomAction
from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.db import in_conversation
from bot.assistant.actions.support.tracker_events import last_bot_action
from feedback import recovery

# The payload of the "talk to a person" buttons the bot offers when it did not understand.
OFFER_PAYLOAD = "/request_human"


class ActionRequestHuman(CustomAction):
    """Hands the conversation to a person with the reason, and says honestly what happens next."""

    action_name = "action_request_human"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        # The reason follows what the customer did: taking the person the bot offered after failing
        # to understand is a repeated fallback; asking in their own words (or /human) is a request.
        offered = (
            last_bot_action(tracker.events) == "action_did_you_mean"
            and (tracker.latest_message.get("text") or "").strip() == OFFER_PAYLOAD
        )
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
