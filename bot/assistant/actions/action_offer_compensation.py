from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support import recovery_replies
from bot.assistant.actions.support.context import context
from bot.conversation.store import conversation_by_public_id
from feedback import recovery


class ActionOfferCompensation(Action):
    """Offers what the policy gives for the complaint's category and severity, within the cap."""

    def name(self) -> str:
        return "action_offer_compensation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ctx = context()
        content = ctx.content.recovery
        with ctx.transaction() as session:
            outcome = recovery.make_offer(
                session,
                content,
                ctx.content.compensation,
                conversation=conversation_by_public_id(session, tracker.sender_id),
                case_id=tracker.get_slot("recovery_case_id"),
                order_number=tracker.get_slot("order_number"),
                description=tracker.get_slot("complaint_description"),
                handover=ctx.handover(),
            )
        recovery_replies.say(dispatcher, content, outcome)
        if outcome.step == recovery.Step.NO_OFFER:
            return []
        return [SlotSet("order_number", None), SlotSet("complaint_description", None), SlotSet("recovery_reasks", 0)]
