from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support import latest
from bot.assistant.actions.support.content import survey_content
from bot.assistant.actions.support.db import transaction
from bot.assistant.actions.support.survey_outcome import close_the_loop, record_answer
from bot.conversation.store import conversation_by_public_id
from feedback.surveys import plan as survey_plan
from feedback.surveys import records as surveys
from feedback.surveys.plan import SKIPPED


class ActionLateSurveyAnswer(Action):
    """A survey button tapped after the survey moved on: recorded if still open, else once only."""

    def name(self) -> str:
        return "action_late_survey_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = survey_content()
        kind, value = survey_plan.split_button_value(latest.entity(tracker, "survey_value"))
        with transaction() as session:
            conversation = conversation_by_public_id(session, tracker.sender_id)
            survey = surveys.latest(session, conversation_id=conversation.id, kind=kind) if kind else None
            if survey is None or survey.status != "offered":
                dispatcher.utter_message(text=content.already_answered)
                return []
            if value == SKIPPED:
                surveys.skip(session, survey_id=survey.id)
                dispatcher.utter_message(text=content.skipped)
                return []
            answer = survey_plan.parse_answer(kind, value or "")
            if answer is None:
                dispatcher.utter_message(text=content.already_answered)
                return []
            record_answer(session, survey, str(answer), None)
            follow_up = close_the_loop(session, conversation, survey)
        dispatcher.utter_message(text=f"{content.follow_up} {follow_up}" if follow_up else content.thanks)
        return []
