from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from sqlalchemy.orm import Session

from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.recovery_replies import RecoveryStepAction
from bot.storage.models import Conversation
from feedback import recovery_steps
from feedback.recovery import RecoveryContent
from feedback.recovery_steps import Outcome, Step


class ActionDeclineCompensation(RecoveryStepAction):
    """Records a declined offer; an offer already issued stays issued."""

    action_name = "action_decline_compensation"

    def step(self, session: Session, conversation: Conversation, content: RecoveryContent, tracker: Tracker) -> Outcome:
        return recovery_steps.decline_offer(
            session, content, conversation=conversation, handover=context(tracker).handover()
        )

    def events(self, outcome: Outcome) -> list[EventType]:
        if outcome.step != Step.DECLINED:
            return []
        return [SlotSet("survey_trigger", "recovery")]
