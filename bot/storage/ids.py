"""Ids as they arrive in URLs and forms, checked against what the database can hold.

Every table's key is a 64-bit signed integer: a larger number is no row at all, and SQLite and
PostgreSQL refuse it with an overflow error instead of an empty result.
"""

from __future__ import annotations

import re

BIGINT_MIN, BIGINT_MAX = -(2**63), 2**63 - 1
_ROW_ID = re.compile(r"[0-9]{1,19}")


def fits_bigint(number: int) -> bool:
    return BIGINT_MIN <= number <= BIGINT_MAX


def row_id(text: object) -> int | None:
    """A row's id written as digits, or None when it cannot name a row (not digits, too large)."""
    if not isinstance(text, str) or not _ROW_ID.fullmatch(text):
        return None
    number = int(text)
    return number if 0 < number <= BIGINT_MAX else None
