"""Recovery outcomes in words (content/recovery.yml) and buttons, and the base of the actions
that run one recovery step and only render its outcome."""

from __future__ import annotations

from abc import abstractmethod

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from bot.assistant.actions.support.base import CustomAction
from bot.assistant.actions.support.context import context
from bot.assistant.actions.support.db import in_conversation
from bot.storage.models import Conversation
from feedback.recovery import RecoveryContent
from feedback.recovery_steps import Outcome, Step

# The message in content/recovery.yml for each outcome that is worded there.
MESSAGE_KEYS = {
    Step.OFFER: "offer",
    Step.ISSUED: "issued",
    Step.NEEDS_APPROVAL: "pending",
    Step.CAP_REACHED: "capped",
    Step.ALREADY_ISSUED: "already_issued",
}


def _buttons(content: RecoveryContent, step: Step) -> list[dict[str, str]]:
    if step == Step.CHOOSE_REMEDY:
        return [
            {"title": content.remedy("replacement_button"), "payload": '/choose_remedy{"remedy_choice":"replacement"}'},
            {"title": content.remedy("refund_button"), "payload": '/choose_remedy{"remedy_choice":"refund"}'},
        ]
    return [
        {"title": content.messages.get("accept_button", "Yes, please"), "payload": "/accept_offer"},
        {"title": content.messages.get("decline_button", "No, thanks"), "payload": "/decline_offer"},
    ]


def say(dispatcher: CollectingDispatcher, content: RecoveryContent, outcome: Outcome) -> None:
    """The outcome in words: the remedy first, then the offer or what happens next."""
    if outcome.step == Step.NO_OFFER:
        dispatcher.utter_message(response="utter_no_open_offer")
        return
    if outcome.step in (Step.CHOOSE_REMEDY, Step.REMEDIED):
        text = content.remedy_then(outcome.remedy, outcome.handoff)
        buttons = _buttons(content, outcome.step) if outcome.step == Step.CHOOSE_REMEDY else None
        dispatcher.utter_message(text=text, buttons=buttons or [])
        return
    if outcome.step == Step.DECLINED:
        dispatcher.utter_message(response="utter_compensation_declined")
    else:
        key = "issued_replacement" if outcome.replacement else MESSAGE_KEYS[outcome.step]
        text = content.message(key, offer=outcome.offer, code=outcome.code, handoff=outcome.handoff)
        buttons = _buttons(content, outcome.step) if outcome.step == Step.OFFER else []
        dispatcher.utter_message(text=content.remedy_then(outcome.remedy, text), buttons=buttons)
    if outcome.step in (Step.ISSUED, Step.DECLINED) and outcome.handoff:
        dispatcher.utter_message(text=outcome.handoff)  # a remedy waiting for a person's approval


class RecoveryStepAction(CustomAction):
    """Runs `step` (a call to feedback.recovery) in the conversation and says its outcome."""

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        content = context(tracker).content.recovery
        with in_conversation(tracker) as (session, conversation):
            outcome = self.step(session, conversation, content, tracker)
        say(dispatcher, content, outcome)
        return self.events(outcome)

    @abstractmethod
    def step(self, session: Session, conversation: Conversation, content: RecoveryContent, tracker: Tracker) -> Outcome:
        """The recovery service's outcome for this action."""

    @abstractmethod
    def events(self, outcome: Outcome) -> list[EventType]:
        """The slots the outcome sets for the stories."""
