from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.assistant.actions.support import latest
from bot.assistant.actions.support import surveys as survey_support
from bot.assistant.actions.support.base import CustomAction
from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.db import in_conversation
from feedback.surveys import outcome as survey_outcome


class ActionLateSurveyAnswer(CustomAction):
    """A survey button tapped after the survey moved on: recorded if still open, else once only."""

    action_name = "action_late_survey_answer"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        with in_conversation(tracker) as (session, conversation):
            outcome = survey_outcome.late_answer(
                session,
                conversation,
                button_value=latest.entity(tracker, "survey_value"),
                handover=context(tracker).handover(),
                scorer=context(tracker).content.sentiment,
            )
        survey_support.say(dispatcher, context(tracker).content.surveys, outcome)
        return []
