from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.assistant.actions.support.base import CustomAction
from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.surveys import buttons


class ActionAskSurveyComment(CustomAction):
    """The optional follow-up: "What is the main reason for your score?", with a Skip button."""

    action_name = "action_ask_survey_comment"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        content = context(tracker).content.surveys
        kind = tracker.get_slot("survey_kind") or "nps"
        dispatcher.utter_message(
            text=content.comment_question,
            buttons=[buttons(content, kind)[-1]],  # just "Skip"
        )
        return []
