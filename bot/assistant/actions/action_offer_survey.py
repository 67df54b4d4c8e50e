from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support import latest
from bot.assistant.actions.support.content import survey_content
from bot.assistant.actions.support.db import transaction
from bot.assistant.actions.support.survey_state import next_kind
from bot.conversation.store import conversation_by_public_id

# The customer's goodbye, or the staff desk's hand-back, tells which moment this is...
TRIGGER_BY_INTENT = {"goodbye": "goodbye", "handoff_resolved": "handoff_resolved"}
# ...or else the action that just ran does.
TRIGGER_AFTER_ACTION = {
    "action_record_faq_feedback": "faq_helpful",
    "action_issue_compensation": "recovery",
    "action_decline_compensation": "recovery",
}


def survey_slots(kind, trigger) -> list[EventType]:
    return [
        SlotSet("survey_due", kind is not None),
        SlotSet("survey_kind", kind),
        SlotSet("survey_trigger", trigger if kind else None),
        SlotSet("survey_answer", None),
        SlotSet("survey_comment", None),
        SlotSet("survey_reasks", 0),
    ]


class ActionOfferSurvey(Action):
    """Decides whether a survey follows this moment (content/surveys.yml); survey_form asks it."""

    def name(self) -> str:
        return "action_offer_survey"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        trigger = TRIGGER_BY_INTENT.get(latest.intent(tracker) or "") or TRIGGER_AFTER_ACTION.get(
            tracker.latest_action_name or ""
        )
        with transaction() as session:
            conversation = conversation_by_public_id(session, tracker.sender_id)
            kind = next_kind(session, conversation, trigger, tracker.events, survey_content())
        if kind is None and trigger == "goodbye":
            dispatcher.utter_message(response="utter_goodbye")
        return survey_slots(kind, trigger)
