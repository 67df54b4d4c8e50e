from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support.db import transaction
from bot.assistant.actions.support.tracker_events import last_bot_action
from bot.conversation.store import conversation_by_public_id
from bot.handoff.transitions import escalate
from bot.storage.models import RecoveryStatus
from feedback import recovery


class ActionRequestHuman(Action):
    """Hands the conversation to a person with the reason, and says honestly what happens next."""

    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        offered = last_bot_action(tracker.events) == "action_did_you_mean"
        with transaction() as session:
            conversation = conversation_by_public_id(session, tracker.sender_id)
            # A recovery in progress goes to the person with the handoff.
            case = recovery.case_in_conversation(session, tracker.get_slot("recovery_case_id"), conversation.id)
            if case is not None and case.status == RecoveryStatus.OPEN.value:
                recovery.close_case(case, RecoveryStatus.ESCALATED)
            handoff = escalate(
                session, conversation, reason="repeated_fallback" if offered else "customer_request"
            )
        dispatcher.utter_message(text=handoff.message)
        # Whatever form was running stops: a person takes it from here.
        return [ActiveLoop(None), SlotSet("requested_slot", None)]
