from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from sqlalchemy.orm import Session

from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.recovery_replies import RecoveryStepAction
from bot.storage.models import Conversation
from feedback import recovery_steps
from feedback.recovery import RecoveryContent
from feedback.recovery_steps import Outcome, Step


class ActionIssueCompensation(RecoveryStepAction):
    """Issues the accepted offer once: a second tap or a retry shows the same code."""

    action_name = "action_issue_compensation"

    def step(self, session: Session, conversation: Conversation, content: RecoveryContent, tracker: Tracker) -> Outcome:
        policy = context(tracker).content.compensation
        return recovery_steps.accept_offer(
            session, content, policy, conversation=conversation, handover=context(tracker).handover()
        )

    def events(self, outcome: Outcome) -> list[EventType]:
        if outcome.step in (Step.NO_OFFER, Step.ALREADY_ISSUED):
            return []
        return [SlotSet("survey_trigger", "recovery")]
