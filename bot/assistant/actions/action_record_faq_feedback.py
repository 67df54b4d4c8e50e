from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.tracker_events import last_faq_question
from bot.conversation.store import conversation_by_public_id
from feedback.surveys.faq_feedback import record_faq_feedback


class ActionRecordFaqFeedback(Action):
    """Stores whether the last FAQ answer helped, once per answer."""

    def name(self) -> str:
        return "action_record_faq_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        helpful = (tracker.latest_message.get("intent") or {}).get("name") == "affirm"
        question = last_faq_question(tracker.events)
        if question is not None:
            topic, key = question
            with context().transaction() as session:
                record_faq_feedback(
                    session,
                    conversation_id=conversation_by_public_id(session, tracker.sender_id).id,
                    topic=topic,
                    question_key=key,
                    helpful=helpful,
                )
        dispatcher.utter_message(response="utter_faq_helpful_yes" if helpful else "utter_faq_helpful_no")
        return []
