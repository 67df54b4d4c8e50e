"""Timestamps: the column type shared by the models, and the one rule for naive values (UTC)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def as_utc(moment: datetime) -> datetime:
    """The moment in UTC; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def parse_moment(text: str) -> datetime:
    """A date (YYYY-MM-DD) or ISO time as a person types it (--since, ?until=); without a zone it
    is UTC, like the stored timestamps. ValueError if it is neither."""
    parsed = datetime.fromisoformat(text.strip())
    return parsed if parsed.tzinfo else as_utc(parsed)


class UTCDateTime(TypeDecorator):
    """A timestamp that is always UTC-aware in Python.

    PostgreSQL keeps the zone; SQLite stores text without one and reads back naive datetimes.
    Values are converted to UTC on the way in and marked UTC on the way out, so no caller needs
    its own naive-to-UTC helper. A naive value handed in is taken to be UTC already.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return None if value is None else as_utc(value)
