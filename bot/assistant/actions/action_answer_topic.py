from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.assistant.actions.support.base import CustomAction
from bot.assistant.actions.support.context import context


class ActionAnswerTopic(CustomAction):
    """Answers an FAQ topic picked from a button ("did you mean", the help menu)."""

    action_name = "action_answer_topic"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        topic = tracker.get_slot("topic")
        response = f"utter_faq/{topic}"
        # The payload can be typed by anyone: only known topics with an answer are used.
        if topic not in context(tracker).content.topics.titles or response not in (domain.get("responses") or {}):
            dispatcher.utter_message(response="utter_unknown_topic")
            return [SlotSet("topic", None)]
        dispatcher.utter_message(response=response)
        dispatcher.utter_message(response="utter_ask_faq_helpful")
        return [SlotSet("topic", None)]
