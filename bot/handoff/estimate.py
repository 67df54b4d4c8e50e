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
    if "queue_ahead" in messages:
        return _worded_estimate(messages, ahead, minutes)
    if ahead == 0:
        text = messages["queue_first"]
        if minutes is not None:
            text += f" The wait is usually about {minutes} minute{'s' if minutes != 1 else ''}."
        return text
    ahead_text = "is 1 person" if ahead == 1 else f"are {ahead} people"
    if minutes is None:
        return f"There {ahead_text} ahead of you."
    return messages["queue_estimate"].format(ahead_text=ahead_text, minutes=minutes * (ahead + 1))


def _worded_estimate(messages: dict[str, str], ahead: int, minutes: int | None) -> str:
    """The estimate from whole sentences of desk.yml (queue_first, queue_first_wait, queue_ahead,
    queue_estimate with {ahead}), for languages whose sentences can't be assembled as English's."""
    if ahead == 0:
        return messages["queue_first"] if minutes is None else messages["queue_first_wait"].format(minutes=minutes)
    if minutes is None:
        return messages["queue_ahead"].format(ahead=ahead)
    return messages["queue_estimate"].format(ahead=ahead, ahead_text=ahead, minutes=minutes * (ahead + 1))
