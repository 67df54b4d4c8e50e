from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.assistant.actions.support import surveys as survey_support
from bot.assistant.actions.support.base import CustomAction
from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.db import in_conversation
from bot.assistant.actions.support.tracker_events import faq_topics
from feedback.surveys import outcome as survey_outcome
from feedback.surveys.outcome import Step
from feedback.surveys.plan import SKIPPED


class ActionSubmitSurvey(CustomAction):
    """Stores the answer once, closes the loop after a bad score, and picks the next survey."""

    action_name = "action_submit_survey"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        content = context(tracker).content.surveys
        comment = tracker.get_slot("survey_comment")
        comment = None if comment in (None, SKIPPED, "") else comment
        trigger = tracker.get_slot("survey_trigger")
        with in_conversation(tracker) as (session, conversation):
            outcome = survey_outcome.submit(
                session,
                conversation,
                content,
                kind=tracker.get_slot("survey_kind"),
                raw=tracker.get_slot("survey_answer"),
                comment=comment,
                trigger=trigger,
                faq_topics=faq_topics(tracker.events),
                handover=context(tracker).handover(),
                scorer=context(tracker).content.sentiment,
            )
        if outcome.step == Step.NOTHING:
            return survey_support.survey_slots(None, None)
        survey_support.say(dispatcher, content, outcome, comment=comment is not None)
        if outcome.next_survey is None and trigger == "goodbye" and outcome.step != Step.FOLLOW_UP:
            dispatcher.utter_message(response="utter_goodbye")
        return survey_support.survey_slots(outcome.next_survey, trigger)
