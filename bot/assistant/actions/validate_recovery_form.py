from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support import forms, latest
from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.forms import LeaveForm, MessageFormValidation
from feedback import recovery
from feedback.language import to_ascii_digits

# Messages that leave the form for their own rule (stories/recovery.yml) unless they answer it.
LEAVE_ALWAYS = {"cancel", "request_human"}
LEAVE_WHEN_ASKED_FOR_ORDER = {"faq"}


def reask_or_give_up(tracker: Tracker, slot: str, give_up_value: Any, max_reasks: int) -> dict[str, Any]:
    """Ask again, at most max_reasks times, then go on without."""
    return forms.reask_or_give_up(
        tracker, "recovery_reasks", max_reasks, slot, {slot: give_up_value, "recovery_reasks": 0}
    )


def leaving(tracker: Tracker, intents: set[str]) -> bool:
    return latest.confidence(tracker) >= latest.CONFIDENT and latest.intent(tracker) in intents


class ValidateRecoveryForm(MessageFormValidation):
    """Reads the order number and the description; "never mind" and questions leave the form."""

    action_name = "validate_recovery_form"

    def validate_order_number(
        self, text: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """An order number, "I don't have it", or else ask again."""
        content = context(tracker).content.recovery
        intent = latest.intent(tracker)
        if intent == "no_order_number" or recovery.means_no_order_number(content, text):
            return {"order_number": recovery.UNKNOWN_ORDER, "recovery_reasks": 0}
        found = latest.entity(tracker, "order_number") or recovery.find_order_number(content, text)
        if found:
            # The NLU's regex reads Persian digits too ("۴۸۲۹۱۷۳"): the record keeps ASCII ones.
            return {"order_number": to_ascii_digits(str(found)), "recovery_reasks": 0}
        if leaving(tracker, LEAVE_ALWAYS | LEAVE_WHEN_ASKED_FOR_ORDER):
            raise LeaveForm
        if intent == "deny":
            return {"order_number": recovery.UNKNOWN_ORDER, "recovery_reasks": 0}
        return reask_or_give_up(tracker, "order_number", recovery.UNKNOWN_ORDER, content.max_reasks)

    def validate_complaint_description(
        self, text: str, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Any prose the customer writes; a button is not a description."""
        if leaving(tracker, LEAVE_ALWAYS):
            raise LeaveForm
        if latest.is_command(tracker) or not text.strip():
            return reask_or_give_up(tracker, "complaint_description", "", context(tracker).content.recovery.max_reasks)
        return {"complaint_description": text[:2000], "recovery_reasks": 0}
