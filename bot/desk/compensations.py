"""A person approves or declines a compensation above the auto-approval limit; the ledger says who."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.handoff.transitions import TransitionRefused
from bot.storage.models import (
    Compensation,
    CompensationStatus,
    RecoveryCase,
    RecoveryStatus,
    StaffUser,
    utcnow,
)
from feedback.recovery import RecoveryContent, close_case, describe_compensation


@dataclass(frozen=True)
class Decision:
    compensation_id: int
    conversation_id: int
    approved: bool
    customer_text: str


def decide(
    session: Session,
    compensation_id: int,
    staff: StaffUser,
    *,
    approve: bool,
    wording: dict[str, str],
    recovery: RecoveryContent,
    now: datetime | None = None,
) -> Decision:
    """Once only: a second decision (a double click, another manager) is refused with who decided."""
    now = now or utcnow()
    status = CompensationStatus.ISSUED if approve else CompensationStatus.DECLINED
    result = session.execute(
        update(Compensation)
        .where(Compensation.id == compensation_id, Compensation.status == CompensationStatus.PENDING_APPROVAL.value)
        .values(status=status.value, decided_by=staff.username, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    row = session.execute(
        select(Compensation).where(Compensation.id == compensation_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if row is None:
        raise TransitionRefused("there is no such compensation")
    if result.rowcount != 1:
        raise TransitionRefused(
            f"{row.code} was already decided ({row.status.replace('_', ' ')}"
            f"{' by ' + row.decided_by if row.decided_by else ''})"
        )
    for case in session.execute(
        select(RecoveryCase).where(
            or_(RecoveryCase.compensation_id == row.id, RecoveryCase.remedy_id == row.id),  # goodwill or remedy
            RecoveryCase.status == RecoveryStatus.PENDING_APPROVAL.value,
        )
    ).scalars():
        close_case(case, RecoveryStatus.RECOVERED if approve else RecoveryStatus.REFUSED, now)
    key = "compensation_approved" if approve else "compensation_declined"
    text = wording[key].format(offer=describe_compensation(recovery, row), code=row.code)
    return Decision(row.id, row.conversation_id, approve, text)
