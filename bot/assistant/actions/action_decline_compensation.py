from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support import recovery_replies
from bot.assistant.actions.support.context import context
from bot.conversation.store import conversation_by_public_id
from feedback import recovery
from feedback.recovery import Step


class ActionDeclineCompensation(Action):
    """Records a declined offer; an offer already issued stays issued."""

    def name(self) -> str:
        return "action_decline_compensation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = context().content.recovery
        with context().transaction() as session:
            conversation = conversation_by_public_id(session, tracker.sender_id)
            outcome = recovery.decline_offer(session, content, conversation=conversation)
        recovery_replies.say(dispatcher, content, outcome)
        if outcome.step != Step.DECLINED:
            return []
        return [SlotSet("survey_trigger", "recovery")]
