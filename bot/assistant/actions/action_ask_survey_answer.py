from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.assistant.actions.support import surveys as survey_support
from bot.assistant.actions.support.base import CustomAction
from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.db import in_conversation
from feedback.surveys import records as surveys


class ActionAskSurveyAnswer(CustomAction):
    """Asks the survey question with its buttons, and records that it was offered (once), credited
    to whoever handled the conversation (a staff member's hand-back says who in its metadata)."""

    action_name = "action_ask_survey_answer"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        content = context(tracker).content.surveys
        kind = tracker.get_slot("survey_kind")
        if kind not in content.questions:
            return []
        with in_conversation(tracker) as (session, conversation):
            surveys.offer(
                session, conversation_id=conversation.id, kind=kind, handled_by=survey_support.handled_by(tracker)
            )
        reasked = (tracker.get_slot("survey_reasks") or 0) > 0
        dispatcher.utter_message(
            text=content.reasks[kind] if reasked else content.questions[kind],
            buttons=survey_support.buttons(content, kind),
        )
        return []
