from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.assistant.actions.support.base import CustomAction
from bot.assistant.actions.support.surveys import survey_slots


class ActionStopSurvey(CustomAction):
    """Leaves a survey for something more important (a complaint, a question); it stays unanswered."""

    action_name = "action_stop_survey"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return [ActiveLoop(None), SlotSet("requested_slot", None), *survey_slots(None, None)]
