from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support import latest
from bot.assistant.actions.support.latest import fresh_answer
from bot.assistant.actions.support.content import recovery_content
from feedback import recovery

FORM = "recovery_form"
# Messages that leave the form for their own rule (stories/recovery.yml) unless they answer it.
LEAVE_ALWAYS = {"cancel", "request_human"}
LEAVE_WHEN_ASKED_FOR_ORDER = {"faq"}


def reask_or_give_up(tracker: Tracker, slot: str, give_up_value: Any, max_reasks: int) -> list[EventType]:
    """Ask again (the form re-asks an empty slot), at most max_reasks times, then go on without."""
    reasks = int(tracker.get_slot("recovery_reasks") or 0) + 1
    if reasks > max_reasks:
        return [SlotSet(slot, give_up_value), SlotSet("recovery_reasks", 0)]
    return [SlotSet("recovery_reasks", reasks)]


class ValidateRecoveryForm(Action):
    """Reads the order number and the description; "never mind" and questions leave the form."""

    def name(self) -> str:
        return "validate_recovery_form"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if not fresh_answer(tracker, FORM):
            return []  # activation: the complaint itself already filled what it could
        content = recovery_content()
        requested = tracker.get_slot("requested_slot")
        intent, text = latest.intent(tracker), latest.text(tracker)
        confident = latest.confidence(tracker) >= latest.CONFIDENT
        if requested == "order_number":
            if intent == "no_order_number" or recovery.means_no_order_number(content, text):
                return [SlotSet("order_number", recovery.UNKNOWN_ORDER), SlotSet("recovery_reasks", 0)]
            found = latest.entity(tracker, "order_number") or recovery.find_order_number(content, text)
            if found:
                return [SlotSet("order_number", str(found)), SlotSet("recovery_reasks", 0)]
            if confident and intent in LEAVE_ALWAYS | LEAVE_WHEN_ASKED_FOR_ORDER:
                return [ActionExecutionRejected(FORM)]
            if intent == "deny":
                return [SlotSet("order_number", recovery.UNKNOWN_ORDER), SlotSet("recovery_reasks", 0)]
            return reask_or_give_up(tracker, "order_number", recovery.UNKNOWN_ORDER, content.max_reasks)
        if requested == "complaint_description":
            if confident and intent in LEAVE_ALWAYS:
                return [ActionExecutionRejected(FORM)]
            if latest.is_command(tracker) or not text.strip():
                return reask_or_give_up(tracker, "complaint_description", "", content.max_reasks)
            return [SlotSet("complaint_description", text[:2000]), SlotSet("recovery_reasks", 0)]
        return []
