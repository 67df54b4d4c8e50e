"""The escalation rules from content/escalation.yml: thresholds, business hours and what the
customer is told when a person is asked to take over."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from feedback.language import in_language, normalise_persian, persian_number

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DEFAULT_MESSAGES = {
    "open": "I've asked a person from our team to take over this chat. Someone will reply here shortly.",
    "closed": "I've asked a person from our team to take over this chat. Someone will reply here {when}.",
    "no_hours": "I've asked a person from our team to take over this chat.",
    "already": "A person from our team already has your request and will reply here.",
    "holding": "Thanks, I've added this to your request.",
    "empathy": "I'm sorry this has been frustrating.",
    # {when} of "closed": the next opening ({clock}, {day} and {zone} filled in).
    "when_today": "today at {clock} ({zone} time)",
    "when_tomorrow": "tomorrow at {clock} ({zone} time)",
    "when_on": "on {day} at {clock} ({zone} time)",
    "when_unknown": "as soon as they can",
}


@dataclass(frozen=True)
class EscalationRules:
    sentiment_window: int
    rolling_below: float
    single_at_or_below: float
    anger_cues: tuple[str, ...]
    fallbacks_in_a_row: int
    nps_detractor_at_or_below: int
    ces_escalate: frozenset[str]
    timezone: ZoneInfo
    hours: dict[int, tuple[time, time]]  # weekday (Monday 0) -> opens, closes
    messages: dict[str, str] = field(default_factory=dict)
    day_names: tuple[str, ...] = DAY_NAMES  # Monday first, for "on {day}"
    persian_digits: bool = False  # the opening time as "۰۹:۰۰"


def _clock(text: str, where: str) -> time:
    try:
        return time.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {text!r} is not a time like 09:00") from None


def load_rules(path: Path, language: str | None = None) -> EscalationRules:
    data = in_language(yaml.safe_load(path.read_text(encoding="utf-8")) or {}, language)
    sentiment = data.get("sentiment") or {}
    hours_data = data.get("business_hours") or {}
    hours = {}
    for day, span in hours_data.items():
        if day == "timezone":
            continue
        if day not in DAYS or not isinstance(span, list) or len(span) != 2:
            raise ValueError(f"{path.name}: business_hours.{day} must be a weekday with [opens, closes]")
        opens, closes = (_clock(t, f"{path.name}: business_hours.{day}") for t in span)
        if closes <= opens:
            raise ValueError(f"{path.name}: business_hours.{day} closes before it opens")
        hours[DAYS.index(day)] = (opens, closes)
    return EscalationRules(
        sentiment_window=int(sentiment.get("window", 3)),
        rolling_below=float(sentiment.get("rolling_below", -0.35)),
        single_at_or_below=float(sentiment.get("single_at_or_below", -0.9)),
        anger_cues=tuple(normalise_persian(str(c)).lower() for c in sentiment.get("anger_cues") or ()),
        fallbacks_in_a_row=int(data.get("fallbacks_in_a_row", 2)),
        nps_detractor_at_or_below=int(data.get("nps_detractor_at_or_below", 6)),
        ces_escalate=frozenset(data.get("ces_escalate") or ()),
        timezone=ZoneInfo(str(hours_data.get("timezone", "UTC"))),
        hours=hours,
        messages={**DEFAULT_MESSAGES, **{str(k): str(v) for k, v in (data.get("messages") or {}).items()}},
        day_names=_day_names(data.get("day_names"), path.name),
        persian_digits=bool(data.get("persian_digits", False)),
    )


def _day_names(raw: object, where: str) -> tuple[str, ...]:
    if raw is None:
        return DAY_NAMES
    if not isinstance(raw, list) or len(raw) != 7:
        raise ValueError(f"{where}: day_names must list seven names, Monday first")
    return tuple(str(name) for name in raw)


def is_open(rules: EscalationRules, moment: datetime) -> bool:
    local = moment.astimezone(rules.timezone)
    span = rules.hours.get(local.weekday())
    return span is not None and span[0] <= local.time() < span[1]


def next_opening(rules: EscalationRules, moment: datetime) -> datetime | None:
    """When people are next there (now if open); None if no hours are set at all."""
    if not rules.hours:
        return None
    local = moment.astimezone(rules.timezone)
    for days_ahead in range(8):
        day = (local + timedelta(days=days_ahead)).date()
        span = rules.hours.get(day.weekday())
        if span is None:
            continue
        opens = datetime.combine(day, span[0], tzinfo=rules.timezone)
        closes = datetime.combine(day, span[1], tzinfo=rules.timezone)
        if local < closes:
            return max(opens, local)
    return None


def describe_opening(rules: EscalationRules, moment: datetime) -> str:
    """ "today at 09:00", "tomorrow at 09:00" or "on Monday at 09:00", in the business's time zone."""
    opening = next_opening(rules, moment)
    if opening is None:
        return rules.messages["when_unknown"]
    local_now = moment.astimezone(rules.timezone)
    days = (opening.date() - local_now.date()).days
    key = "when_today" if days == 0 else "when_tomorrow" if days == 1 else "when_on"
    clock = opening.strftime("%H:%M")
    clock = persian_number(clock) if rules.persian_digits else clock
    return rules.messages[key].format(clock=clock, day=rules.day_names[opening.weekday()], zone=rules.timezone.key)


def handoff_message(rules: EscalationRules, moment: datetime, *, already: bool = False) -> str:
    """What the customer is told when a person is asked to take over: honest about the hours."""
    if already:
        return rules.messages["already"]
    if not rules.hours:
        return rules.messages["no_hours"]
    if is_open(rules, moment):
        return rules.messages["open"]
    return rules.messages["closed"].format(when=describe_opening(rules, moment))
