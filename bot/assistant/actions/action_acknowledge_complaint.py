from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support import latest
from bot.assistant.actions.support.context import context
from bot.conversation.store import conversation_by_public_id
from feedback import recovery


class ActionAcknowledgeComplaint(Action):
    """Apologises for a complaint (worded by severity) and opens its recovery case."""

    def name(self) -> str:
        return "action_acknowledge_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = context().content.recovery
        with context().transaction() as session:
            conversation = conversation_by_public_id(session, tracker.sender_id)
            complaint = recovery.open_complaint(
                session,
                content,
                conversation_id=conversation.id,
                intent=latest.intent(tracker),
                text="" if latest.is_command(tracker) else latest.text(tracker),
                order_entity=latest.entity(tracker, "order_number"),
            )
        dispatcher.utter_message(
            response=f"utter_apologise_{complaint.severity}", complaint_label=content.label(complaint.category)
        )
        return [
            SlotSet("complaint_category", complaint.category),
            SlotSet("order_number", complaint.order_number),
            SlotSet("complaint_description", complaint.description),
            SlotSet("recovery_case_id", str(complaint.case_id)),
            SlotSet("recovery_reasks", 0),
        ]
