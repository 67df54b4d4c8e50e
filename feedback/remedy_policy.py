"""The remedy of each complaint category (content/compensation.yml `remedies:`): what fixes the
problem itself, said and recorded before any goodwill offer, and whether goodwill may follow."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# refund_overcharge: the stated overcharge back to the card; replace_or_refund: the customer
# chooses; delivery_follow_up: the order flagged and the carrier asked; staff_report: to the team
# lead; workaround: a configured workaround and another way to order; team_follow_up: a person
# looks into it and replies.
ACTIONS = (
    "refund_overcharge",
    "replace_or_refund",
    "delivery_follow_up",
    "staff_report",
    "workaround",
    "team_follow_up",
)
GOODWILL = ("after_remedy", "none")
# The working days each action promises, and whether it must have them.
_DAYS = {"refund_overcharge": "refund_days", "replace_or_refund": "refund_days", "team_follow_up": "reply_days"}
_OPTIONAL_DAYS = {"delivery_follow_up": "new_estimate_days"}


@dataclass(frozen=True)
class Remedy:
    action: str
    goodwill: bool  # the severity's offer may follow; False: the remedy alone
    days: tuple[int, int] | None = None  # working days: refund, reply, or the new delivery estimate
    prepaid_return: bool = False  # replace_or_refund: the item comes back with a prepaid label
    approval_limit_cents: int | None = None  # above it a person confirms; None: the policy's limit


def line_of(text: str, key: str) -> int | None:
    """The line of a top-level key in a YAML text, for error messages."""
    match = re.search(rf"^{re.escape(key)}\s*:", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _days(raw: object, where: str) -> tuple[int, int]:
    if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
        return raw, raw
    ok = isinstance(raw, list) and len(raw) == 2 and all(isinstance(d, int) and d > 0 for d in raw)
    if not ok or raw[0] > raw[1]:
        raise ValueError(f"{where} must be a number of working days or [from, to], e.g. [3, 5]")
    return raw[0], raw[1]


def _remedy(raw: object, where: str) -> Remedy:
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be a mapping with action and goodwill")
    action, goodwill = raw.get("action"), raw.get("goodwill", "after_remedy")
    if action not in ACTIONS:
        raise ValueError(f"{where}.action must be one of {', '.join(ACTIONS)}")
    if goodwill not in GOODWILL:
        raise ValueError(f"{where}.goodwill must be after_remedy or none")
    days_key = _DAYS.get(action) or _OPTIONAL_DAYS.get(action)
    days = None
    if days_key and (days_key in raw or action in _DAYS):
        days = _days(raw.get(days_key), f"{where}.{days_key}")
    limit = raw.get("approval_limit_cents")
    if limit is not None and not (isinstance(limit, int) and limit >= 0):
        raise ValueError(f"{where}.approval_limit_cents must be a whole number of cents")
    return Remedy(
        action=action,
        goodwill=goodwill == "after_remedy",
        days=days,
        prepaid_return=bool(raw.get("prepaid_return", False)),
        approval_limit_cents=limit,
    )


def load_remedies(raw: object, categories: Iterable[str], where: str, text: str = "") -> dict[str, Remedy]:
    """Every category needs a remedy: one missing is a mistake named with its place in the file."""
    line = line_of(text, "remedies")
    place = f"remedies (line {line})" if line else "remedies"
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: {place} is missing: every complaint category needs a remedy")
    categories = tuple(categories)
    unknown = [str(c) for c in raw if c not in categories]
    if unknown:
        raise ValueError(f"{where}: {place}: unknown category {unknown[0]!r}")
    missing = [c for c in categories if not raw.get(c)]
    if missing:
        raise ValueError(f"{where}: {place}: {', '.join(missing)} has no remedy; every complaint category needs one")
    return {category: _remedy(raw[category], f"{where}: remedies.{category}") for category in categories}
