from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.tracker_events import last_bot_action
from bot.conversation.store import conversation_by_public_id
from feedback import recovery


class ActionRequestHuman(Action):
    """Hands the conversation to a person with the reason, and says honestly what happens next."""

    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        offered = last_bot_action(tracker.events) == "action_did_you_mean"
        with context().transaction() as session:
            conversation = conversation_by_public_id(session, tracker.sender_id)
            handoff = recovery.hand_over_in_recovery(
                session,
                conversation,
                case_id=tracker.get_slot("recovery_case_id"),
                reason="repeated_fallback" if offered else "customer_request",
                handover=context().handover(),
            )
        dispatcher.utter_message(text=handoff)
        # Whatever form was running stops: a person takes it from here.
        return [ActiveLoop(None), SlotSet("requested_slot", None)]
