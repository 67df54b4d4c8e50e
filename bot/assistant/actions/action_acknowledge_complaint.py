from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.assistant.actions.support import latest
from bot.assistant.actions.support.base import CustomAction
from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.db import in_conversation
from feedback import recovery


class ActionAcknowledgeComplaint(CustomAction):
    """Apologises for a complaint (worded by severity) and opens its recovery case."""

    action_name = "action_acknowledge_complaint"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        content = context(tracker).content.recovery
        with in_conversation(tracker) as (session, conversation):
            complaint = recovery.open_complaint(
                session,
                content,
                conversation_id=conversation.id,
                intent=latest.intent(tracker),
                text="" if latest.is_command(tracker) else latest.text(tracker),
                order_entity=latest.entity(tracker, "order_number"),
                currency=context(tracker).content.compensation.currency,
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
