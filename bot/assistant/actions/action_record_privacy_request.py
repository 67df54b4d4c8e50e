from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.assistant.actions.support.base import CustomAction
from bot.assistant.actions.support.db import in_conversation
from bot.privacy.requests import record_request


class ActionRecordPrivacyRequest(CustomAction):
    """Queues the customer's "delete my data" for an admin; nothing is erased from a chat message."""

    action_name = "action_record_privacy_request"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        with in_conversation(tracker) as (session, conversation):
            new = record_request(session, conversation)
        dispatcher.utter_message(response="utter_privacy_request_recorded" if new else "utter_privacy_request_waiting")
        return []
