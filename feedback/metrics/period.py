"""A period and channel to measure, its time buckets, and the query filters every metric uses."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from bot.storage.models import Conversation

# Up to this many days a chart has one point per day; longer periods get ISO weeks (from Monday).
DAILY_UP_TO_DAYS = 31


@dataclass(frozen=True)
class Filters:
    since: datetime  # inclusive
    until: datetime  # exclusive
    channel: str | None = None  # None: all channels

    def __post_init__(self) -> None:
        # Timestamps read from the database are UTC-aware (bot/storage/types.py); so must these be.
        if self.since.tzinfo is None or self.until.tzinfo is None:
            raise ValueError("since and until must be timezone-aware")
        if self.since >= self.until:
            raise ValueError("the period is empty: since must be before until")


def in_period(column, filters: Filters):
    return (column >= filters.since) & (column < filters.until)


def with_channel(query: Select, filters: Filters, conversation_column) -> Select:
    """Join the rows' conversation, keeping only the chosen channel's (all without a channel)."""
    query = query.join(Conversation, Conversation.id == conversation_column)
    if filters.channel:
        query = query.where(Conversation.channel == filters.channel)
    return query


def chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    """Slices of an id list short enough for an SQL IN (...)."""
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def channels_in_use(session: Session) -> tuple[str, ...]:
    return tuple(session.execute(select(Conversation.channel).distinct().order_by(Conversation.channel)).scalars())


# -- time buckets -----------------------------------------------------------------------------


def bucket_size(filters: Filters) -> str:
    return "day" if filters.until - filters.since <= timedelta(days=DAILY_UP_TO_DAYS) else "week"


def bucket_start(moment: datetime, size: str) -> date:
    day = moment.astimezone(timezone.utc).date()
    return day if size == "day" else day - timedelta(days=day.weekday())


def bucket_labels(filters: Filters, size: str) -> tuple[str, ...]:
    first = bucket_start(filters.since, size)
    last = bucket_start(filters.until - timedelta(microseconds=1), size)
    step = timedelta(days=1 if size == "day" else 7)
    labels, current = [], first
    while current <= last:
        labels.append(current.isoformat())
        current += step
    return tuple(labels)
