"""How long a customer will likely wait for a person: their place in the queue and recent waits."""

from __future__ import annotations

import math
import statistics
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.storage.models import QUEUED_STATUSES, HandoffRequest

RECENT = timedelta(days=14)
SAMPLE = 50


def ahead_in_queue(session: Session, handoff: HandoffRequest) -> int:
    return session.execute(
        select(func.count(HandoffRequest.id)).where(
            HandoffRequest.status.in_(QUEUED_STATUSES), HandoffRequest.id < handoff.id
        )
    ).scalar_one()


def typical_wait_minutes(session: Session, now: datetime) -> int | None:
    """The median minutes from request to claim over the last two weeks; None with no history."""
    rows = session.execute(
        select(HandoffRequest.created_at, HandoffRequest.claimed_at)
        .where(HandoffRequest.claimed_at.isnot(None), HandoffRequest.created_at >= now - RECENT)
        .order_by(HandoffRequest.id.desc())
        .limit(SAMPLE)
    ).all()
    if not rows:
        return None
    waits = [(claimed - created).total_seconds() / 60 for created, claimed in rows]
    return max(1, math.ceil(statistics.median(waits)))


def estimate_text(session: Session, handoff: HandoffRequest, messages: dict[str, str], now: datetime) -> str:
    """ "There are 2 people ahead of you; the wait is usually about 4 minutes." (or less, if unknown)."""
    ahead = ahead_in_queue(session, handoff)
    minutes = typical_wait_minutes(session, now)
    if ahead == 0:
        text = messages["queue_first"]
        if minutes is not None:
            text += f" The wait is usually about {minutes} minute{'s' if minutes != 1 else ''}."
        return text
    ahead_text = "is 1 person" if ahead == 1 else f"are {ahead} people"
    if minutes is None:
        return f"There {ahead_text} ahead of you."
    return messages["queue_estimate"].format(ahead_text=ahead_text, minutes=minutes * (ahead + 1))
