from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support import recovery_replies
from bot.assistant.actions.support.context import context
from bot.conversation.store import conversation_by_public_id
from feedback import recovery
from feedback.recovery import Step


class ActionIssueCompensation(Action):
    """Issues the accepted offer once: a second tap or a retry shows the same code."""

    def name(self) -> str:
        return "action_issue_compensation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        ctx = context()
        content = ctx.content.recovery
        with ctx.transaction() as session:
            outcome = recovery.accept_offer(
                session,
                content,
                ctx.content.compensation,
                conversation=conversation_by_public_id(session, tracker.sender_id),
                handover=ctx.handover(),
            )
        recovery_replies.say(dispatcher, content, outcome)
        if outcome.step in (Step.NO_OFFER, Step.ALREADY_ISSUED):
            return []
        return [SlotSet("survey_trigger", "recovery")]
