from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support.content import compensation_policy, recovery_content
from bot.assistant.actions.support.db import transaction
from bot.conversation.store import conversation_by_public_id
from bot.handoff.transitions import escalate
from bot.storage.models import RecoveryStatus
from feedback import compensation, recovery


class ActionOfferCompensation(Action):
    """Offers what the policy gives for the complaint's category and severity, within the cap."""

    def name(self) -> str:
        return "action_offer_compensation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content, policy = recovery_content(), compensation_policy()
        with transaction() as session:
            conversation = conversation_by_public_id(session, tracker.sender_id)
            case = recovery.case_in_conversation(session, tracker.get_slot("recovery_case_id"), conversation.id)
            if case is None:
                dispatcher.utter_message(response="utter_no_open_offer")
                return []
            case.order_number = (tracker.get_slot("order_number") or case.order_number or None)
            case.description = tracker.get_slot("complaint_description") or case.description
            if not compensation.within_cap(session, policy=policy, customer_id=conversation.customer_id):
                handoff = escalate(session, conversation, reason="compensation_cap")
                recovery.close_case(case, RecoveryStatus.ESCALATED)
                dispatcher.utter_message(text=content.message("capped", handoff=handoff.message))
            else:
                offer = policy.offer_for(case.category, case.severity)
                case.status = RecoveryStatus.OFFERED.value
                dispatcher.utter_message(
                    text=content.message("offer", offer=recovery.describe_offer(content, offer, policy.currency)),
                    buttons=[
                        {"title": content.messages.get("accept_button", "Yes, please"), "payload": "/accept_offer"},
                        {"title": content.messages.get("decline_button", "No, thanks"), "payload": "/decline_offer"},
                    ],
                )
        return [SlotSet("order_number", None), SlotSet("complaint_description", None), SlotSet("recovery_reasks", 0)]
