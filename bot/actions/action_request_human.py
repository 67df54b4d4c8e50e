from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.actions.db import transaction
from bot.actions.tracker_events import last_bot_action
from bot.handoff import request_handoff


class ActionRequestHuman(Action):
    """Records the customer's request for a person and says honestly what happens next."""

    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        offered = last_bot_action(tracker.events) == "action_did_you_mean"
        with transaction() as session:
            created = request_handoff(
                session,
                conversation_public_id=tracker.sender_id,
                reason="repeated_fallback" if offered else "customer_request",
            )
        dispatcher.utter_message(
            response="utter_handoff_recorded" if created else "utter_handoff_already_recorded"
        )
        return []
