from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from sqlalchemy.orm import Session

from bot.assistant.actions.support import latest
from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.recovery_replies import RecoveryStepAction
from bot.storage.models import Conversation
from feedback import recovery_steps
from feedback.recovery import RecoveryContent
from feedback.recovery_steps import Outcome


class ActionChooseRemedy(RecoveryStepAction):
    """Does the remedy the customer chose (replacement or refund), then offers the goodwill."""

    action_name = "action_choose_remedy"

    def step(self, session: Session, conversation: Conversation, content: RecoveryContent, tracker: Tracker) -> Outcome:
        return recovery_steps.choose_remedy(
            session,
            content,
            context(tracker).content.compensation,
            conversation=conversation,
            choice=latest.entity(tracker, "remedy_choice"),
            handover=context(tracker).handover(),
        )

    def events(self, outcome: Outcome) -> list[EventType]:
        return []
