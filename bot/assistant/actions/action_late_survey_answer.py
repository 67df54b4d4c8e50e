from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support import latest
from bot.assistant.actions.support import surveys as survey_support
from bot.assistant.actions.support.context import context
from bot.conversation.store import conversation_by_public_id
from feedback.surveys import outcome as survey_outcome


class ActionLateSurveyAnswer(Action):
    """A survey button tapped after the survey moved on: recorded if still open, else once only."""

    def name(self) -> str:
        return "action_late_survey_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ctx = context()
        with ctx.transaction() as session:
            outcome = survey_outcome.late_answer(
                session,
                conversation_by_public_id(session, tracker.sender_id),
                button_value=latest.entity(tracker, "survey_value"),
                handover=ctx.handover(),
                scorer=ctx.content.sentiment,
            )
        survey_support.say(dispatcher, ctx.content.surveys, outcome)
        return []
