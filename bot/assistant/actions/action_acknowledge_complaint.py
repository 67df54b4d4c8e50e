from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support import latest
from bot.assistant.actions.support.content import recovery_content
from bot.assistant.actions.support.db import transaction
from bot.conversation.store import conversation_by_public_id
from feedback import recovery
from feedback.sentiment import TextBlobScorer

# Severity reads emotional intensity with plain TextBlob: the product's scorer puts every plain
# complaint at -0.6 or below, because it is tuned to catch complaints, not to grade them.
_intensity = TextBlobScorer()


class ActionAcknowledgeComplaint(Action):
    """Apologises for a complaint (worded by severity) and opens its recovery case."""

    def name(self) -> str:
        return "action_acknowledge_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = recovery_content()
        category = recovery.category_of(latest.intent(tracker)) or "other"
        text = "" if latest.is_command(tracker) else latest.text(tracker)
        polarity = _intensity.score(text).polarity if text else None
        severity = recovery.assess_severity(content, category, text, polarity)
        order_number = latest.entity(tracker, "order_number") or recovery.find_order_number(content, text)
        # A complaint that already says what happened is not asked for again.
        description = text if len(text.split()) >= content.description_min_words else None
        with transaction() as session:
            conversation = conversation_by_public_id(session, tracker.sender_id)
            case = recovery.open_case(
                session,
                conversation_id=conversation.id,
                source="complaint",
                category=category,
                severity=severity,
                order_number=order_number,
                description=description,
            )
            case_id = case.id
        dispatcher.utter_message(response=f"utter_apologise_{severity}", complaint_label=content.label(category))
        return [
            SlotSet("complaint_category", category),
            SlotSet("order_number", order_number),
            SlotSet("complaint_description", description),
            SlotSet("recovery_case_id", str(case_id)),
            SlotSet("recovery_reasks", 0),
        ]
