from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.assistant.actions.support.content import compensation_policy, recovery_content
from bot.assistant.actions.support.db import transaction
from bot.assistant.actions.support.offer_answer import open_offer
from bot.handoff.transitions import escalate
from bot.storage.models import CompensationStatus, RecoveryStatus
from feedback import compensation, recovery


class ActionIssueCompensation(Action):
    """Issues the accepted offer once: a second tap or a retry shows the same code."""

    def name(self) -> str:
        return "action_issue_compensation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content, policy = recovery_content(), compensation_policy()
        with transaction() as session:
            conversation, case = open_offer(session, tracker, dispatcher)
            if case is None:
                return []
            result = compensation.issue(
                session,
                policy=policy,
                conversation_id=conversation.id,
                category=case.category,
                severity=case.severity,
                reason=case.description or content.label(case.category),
                idempotency_key=f"case-{case.id}",
            )
            if result.capped:
                handoff = escalate(session, conversation, reason="compensation_cap")
                recovery.close_case(case, RecoveryStatus.ESCALATED)
                dispatcher.utter_message(text=content.message("capped", handoff=handoff.message))
                return [SlotSet("survey_trigger", "recovery")]
            row = result.compensation
            case.compensation_id = row.id
            offer = recovery.describe_compensation(content, row)
            if row.status == CompensationStatus.PENDING_APPROVAL.value:
                recovery.close_case(case, RecoveryStatus.PENDING_APPROVAL)
                handoff = escalate(session, conversation, reason="compensation_approval")
                dispatcher.utter_message(text=content.message("pending", offer=offer, code=row.code, handoff=handoff.message))
            else:
                recovery.close_case(case, RecoveryStatus.RECOVERED)
                key = "issued_replacement" if row.kind == "replacement" else "issued"
                dispatcher.utter_message(text=content.message(key, offer=offer, code=row.code))
        return [SlotSet("survey_trigger", "recovery")]
