from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.assistant.actions.support.base import CustomAction
from bot.assistant.actions.support.db import in_conversation
from bot.assistant.actions.support.tracker_events import last_faq_question
from feedback.surveys.faq_feedback import record_faq_feedback


class ActionRecordFaqFeedback(CustomAction):
    """Stores whether the last FAQ answer helped, once per answer."""

    action_name = "action_record_faq_feedback"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        helpful = (tracker.latest_message.get("intent") or {}).get("name") == "affirm"
        question = last_faq_question(tracker.events)
        if question is not None:
            topic, key = question
            with in_conversation(tracker) as (session, conversation):
                record_faq_feedback(
                    session,
                    conversation_id=conversation.id,
                    topic=topic,
                    question_key=key,
                    helpful=helpful,
                )
        dispatcher.utter_message(response="utter_faq_helpful_yes" if helpful else "utter_faq_helpful_no")
        return []
