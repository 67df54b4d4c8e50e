from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from sqlalchemy.orm import Session

from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.recovery_replies import RecoveryStepAction
from bot.storage.models import Conversation
from feedback import recovery_steps
from feedback.recovery import RecoveryContent
from feedback.recovery_steps import Outcome, Step


class ActionOfferCompensation(RecoveryStepAction):
    """The remedy first (or the choice of one), then what the policy gives for the complaint's category
    and severity, within the cap."""

    action_name = "action_offer_compensation"

    def step(self, session: Session, conversation: Conversation, content: RecoveryContent, tracker: Tracker) -> Outcome:
        return recovery_steps.make_offer(
            session,
            content,
            context(tracker).content.compensation,
            conversation=conversation,
            case_id=tracker.get_slot("recovery_case_id"),
            order_number=tracker.get_slot("order_number"),
            description=tracker.get_slot("complaint_description"),
            handover=context(tracker).handover(),
        )

    def events(self, outcome: Outcome) -> list[EventType]:
        if outcome.step == Step.NO_OFFER:
            return []
        return [SlotSet("order_number", None), SlotSet("complaint_description", None), SlotSet("recovery_reasks", 0)]
