from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.action_offer_survey import survey_slots
from bot.assistant.actions.support.content import survey_content
from bot.assistant.actions.support.db import transaction
from bot.assistant.actions.support.survey_outcome import close_the_loop, record_answer
from bot.assistant.actions.support.survey_state import next_kind
from bot.assistant.actions.validate_survey_form import UNANSWERED
from bot.conversation.store import conversation_by_public_id
from feedback.surveys import records as surveys
from feedback.surveys.plan import SKIPPED



class ActionSubmitSurvey(Action):
    """Stores the answer once, closes the loop after a bad score, and picks the next survey."""

    def name(self) -> str:
        return "action_submit_survey"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = survey_content()
        kind, raw = tracker.get_slot("survey_kind"), tracker.get_slot("survey_answer")
        comment = tracker.get_slot("survey_comment")
        comment = None if comment in (None, SKIPPED, "") else comment
        trigger = tracker.get_slot("survey_trigger")
        next_survey, handed_over = None, False
        with transaction() as session:
            conversation = conversation_by_public_id(session, tracker.sender_id)
            if kind not in content.questions or raw is None:
                return survey_slots(None, None)
            survey = surveys.latest(session, conversation_id=conversation.id, kind=kind) or surveys.offer(
                session, conversation_id=conversation.id, kind=kind
            )
            if raw == SKIPPED:
                surveys.skip(session, survey_id=survey.id)
                dispatcher.utter_message(text=content.skipped)
            elif raw == UNANSWERED:
                dispatcher.utter_message(text=content.skipped)
            else:
                record_answer(session, survey, raw, comment)
                follow_up = close_the_loop(session, conversation, survey)
                if follow_up:
                    handed_over = True
                    dispatcher.utter_message(text=f"{content.follow_up} {follow_up}")
                else:
                    dispatcher.utter_message(text=content.thanks_with_comment if comment else content.thanks)
                    next_survey = next_kind(session, conversation, trigger, tracker.events, content)
        if next_survey is None and trigger == "goodbye" and not handed_over:
            dispatcher.utter_message(response="utter_goodbye")
        return survey_slots(next_survey, trigger)
