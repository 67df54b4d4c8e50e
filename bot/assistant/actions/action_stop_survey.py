from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support.surveys import survey_slots


class ActionStopSurvey(Action):
    """Leaves a survey for something more important (a complaint, a question); it stays unanswered."""

    def name(self) -> str:
        return "action_stop_survey"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return [ActiveLoop(None), SlotSet("requested_slot", None), *survey_slots(None, None)]
