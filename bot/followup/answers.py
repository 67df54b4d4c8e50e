"""The customer's answer to a follow-up: yes (then CSAT), no (a person takes over), or stop.

The router asks `FollowUpAnswers.answer` before the assistant, inside the transaction that stored
the customer's message; a message that answers no follow-up goes on to the assistant untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.conversation import store
from bot.conversation.messages import Button, OutboundMessage
from bot.conversation.ports import FollowUpTurn
from bot.followup.content import CSAT_PAYLOAD, FollowUpContent, Wording
from bot.handoff.content import DeskContent
from bot.handoff.rules import EscalationRules
from bot.handoff.transitions import escalate
from bot.storage.database import savepoint
from bot.storage.followups import FollowUp, FollowUpOptOut, FollowUpStatus
from bot.storage.models import (
    Conversation,
    Customer,
    Message,
    RecoveryCase,
    RecoveryStatus,
    StaffNote,
    SurveyResponse,
    utcnow,
)
from feedback.surveys import records
from feedback.surveys.scores import CSAT_RANGE, parse_number

REASON = "followup_not_resolved"


def _awaiting(session: Session, customer_id: int) -> FollowUp | None:
    """The follow-up this customer's message may answer: sent and unanswered, or answered "yes"
    with its CSAT still open."""
    return session.execute(_AWAITING, {"customer_id": customer_id}).scalar_one_or_none()


# Built once: it runs for every customer message, and SQLAlchemy reuses its compiled form.
_AWAITING = (
    select(FollowUp)
    .outerjoin(SurveyResponse, FollowUp.survey_id == SurveyResponse.id)
    .where(
        FollowUp.customer_id == bindparam("customer_id"),
        or_(
            FollowUp.status == FollowUpStatus.SENT.value,
            (FollowUp.answer == "yes") & (SurveyResponse.status == "offered"),
        ),
    )
    .order_by(FollowUp.sent_at.desc())
    .limit(1)
)


@dataclass(frozen=True)
class FollowUpAnswers:
    content: FollowUpContent
    escalation: EscalationRules
    desk: DeskContent

    def answer(self, session: Session, *, conversation_id: int, message_id: int, text: str) -> FollowUpTurn | None:
        """The stored replies when `text` answers this customer's follow-up; None otherwise."""
        conversation = session.get(Conversation, conversation_id)
        followup = _awaiting(session, conversation.customer_id)
        if followup is None:
            return None
        customer = session.get(Customer, conversation.customer_id)
        wording = self.content.words_for(customer.locale)
        now = utcnow()
        if followup.status != FollowUpStatus.SENT.value:
            return self._csat(session, followup, message_id, text, wording, now)
        kind = self.content.read_answer(text)
        if kind is None:
            return None
        claimed = session.execute(
            update(FollowUp)
            .where(FollowUp.id == followup.id, FollowUp.status == FollowUpStatus.SENT.value)
            .values(status=FollowUpStatus.ANSWERED.value, answer=kind, answered_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            return None
        if kind == "yes":
            return self._yes(session, followup, conversation, message_id, wording, now)
        if kind == "no":
            return self._no(session, followup, conversation, message_id, wording, now)
        opt_out(session, customer.id, now)
        return _reply(session, message_id, [OutboundMessage(text=wording.replies["after_stop"])])

    def _yes(self, session, followup, conversation, message_id, wording: Wording, now) -> FollowUpTurn:
        survey = records.offer(session, conversation_id=conversation.id, kind="csat", handled_by="followup", now=now)
        followup.survey_id = survey.id
        buttons = tuple(Button(title=str(n), payload=f"{CSAT_PAYLOAD}_{n}") for n in CSAT_RANGE)
        return _reply(
            session,
            message_id,
            [
                OutboundMessage(text=wording.replies["after_yes"]),
                OutboundMessage(text=wording.replies["csat_question"], buttons=buttons),
            ],
        )

    def _no(self, session, followup, conversation, message_id, wording: Wording, now) -> FollowUpTurn:
        case = session.get(RecoveryCase, followup.case_id)
        # The case is open again, now with a person: the recovery did not hold.
        case.status, case.closed_at = RecoveryStatus.ESCALATED.value, None
        session.add(
            StaffNote(
                conversation_id=conversation.id,
                text=self.content.staff_note.format(
                    case=case.id,
                    category=case.category,
                    order=case.order_number or "-",
                    description=case.description or "-",
                    conversation=case.conversation_id,
                ),
                created_at=now,
            )
        )
        handoff = escalate(session, conversation, reason=REASON, rules=self.escalation, desk=self.desk, now=now)
        messages = [OutboundMessage(text=wording.replies["after_no"]), OutboundMessage(text=handoff.message)]
        return FollowUpTurn(_reply(session, message_id, messages).replies, escalated=True)

    def _csat(self, session, followup, message_id, text, wording: Wording, now) -> FollowUpTurn | None:
        cleaned = text.strip()
        if cleaned.startswith(f"{CSAT_PAYLOAD}_"):
            cleaned = cleaned[len(CSAT_PAYLOAD) + 1 :]
        score = parse_number(cleaned, CSAT_RANGE)
        if score is None:
            # Not a score: the customer moved on; the open CSAT stays unanswered.
            records.skip(session, survey_id=followup.survey_id)
            return None
        records.answer(session, survey_id=followup.survey_id, value=score, now=now)
        return _reply(session, message_id, [OutboundMessage(text=wording.replies["csat_thanks"])])


def _reply(session: Session, message_id: int, messages: list[OutboundMessage]) -> FollowUpTurn:
    conversation_id = session.get(Message, message_id).conversation_id
    replies = store.record_replies(
        session,
        conversation_id=conversation_id,
        message_id=message_id,
        replies=messages,
        intent="followup",
        confidence=None,
    )
    return FollowUpTurn(replies)


def opt_out(session: Session, customer_id: int, now: datetime) -> None:
    """ "stop": stored, and every follow-up of this customer not yet sent is cancelled."""
    try:
        with savepoint(session):
            session.add(FollowUpOptOut(customer_id=customer_id, created_at=now))
            session.flush()
    except IntegrityError:
        pass  # opted out already
    session.execute(
        update(FollowUp)
        .where(FollowUp.customer_id == customer_id, FollowUp.status == FollowUpStatus.SCHEDULED.value)
        .values(status=FollowUpStatus.CANCELLED.value, cancelled_by="opt-out")
        .execution_options(synchronize_session=False)
    )
