from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.surveys import buttons


class ActionAskSurveyComment(Action):
    """The optional follow-up: "What is the main reason for your score?", with a Skip button."""

    def name(self) -> str:
        return "action_ask_survey_comment"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = context().content.surveys
        kind = tracker.get_slot("survey_kind") or "nps"
        dispatcher.utter_message(
            text=content.comment_question,
            buttons=[buttons(content, kind)[-1]],  # just "Skip"
        )
        return []
