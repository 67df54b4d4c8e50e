from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support import surveys as survey_support
from bot.assistant.actions.support.context import context
from bot.conversation.store import conversation_by_public_id
from feedback.surveys import records as surveys


class ActionAskSurveyAnswer(Action):
    """Asks the survey question with its buttons, and records that it was offered (once), credited
    to whoever handled the conversation (a staff member's hand-back says who in its metadata)."""

    def name(self) -> str:
        return "action_ask_survey_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = context().content.surveys
        kind = tracker.get_slot("survey_kind")
        if kind not in content.questions:
            return []
        with context().transaction() as session:
            conversation = conversation_by_public_id(session, tracker.sender_id)
            surveys.offer(
                session, conversation_id=conversation.id, kind=kind, handled_by=survey_support.handled_by(tracker)
            )
        reasked = (tracker.get_slot("survey_reasks") or 0) > 0
        dispatcher.utter_message(
            text=content.reasks[kind] if reasked else content.questions[kind],
            buttons=survey_support.buttons(content, kind),
        )
        return []
