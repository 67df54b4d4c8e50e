from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.assistant.actions.support import latest
from bot.assistant.actions.support.base import CustomAction
from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.db import in_conversation
from bot.assistant.actions.support.surveys import survey_slots
from bot.assistant.actions.support.tracker_events import faq_topics
from feedback.surveys.state import next_kind

# The customer's goodbye, or the staff desk's hand-back, tells which moment this is...
TRIGGER_BY_INTENT = {"goodbye": "goodbye", "handoff_resolved": "handoff_resolved"}
# ...or else the action that just ran does.
TRIGGER_AFTER_ACTION = {
    "action_record_faq_feedback": "faq_helpful",
    "action_issue_compensation": "recovery",
    "action_decline_compensation": "recovery",
}


class ActionOfferSurvey(CustomAction):
    """Decides whether a survey follows this moment (content/surveys.yml); survey_form asks it."""

    action_name = "action_offer_survey"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        trigger = TRIGGER_BY_INTENT.get(latest.intent(tracker) or "") or TRIGGER_AFTER_ACTION.get(
            tracker.latest_action_name or ""
        )
        with in_conversation(tracker) as (session, conversation):
            kind = next_kind(
                session, conversation, trigger, context(tracker).content.surveys, faq_topics=faq_topics(tracker.events)
            )
        if kind is None and trigger == "goodbye":
            dispatcher.utter_message(response="utter_goodbye")
        return survey_slots(kind, trigger)
