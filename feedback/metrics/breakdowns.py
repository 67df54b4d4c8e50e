"""The period's numbers split by escalation reason, compensation category and who handled the
conversation, each with the conversations behind it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.models import Compensation, HandoffRequest, SurveyResponse
from feedback.metrics.recovery_groups import RECOVERY_GROUPS, ComplaintHistory, recovery_surveys
from feedback.metrics.series import Drill
from feedback.metrics.totals import compensation_value, median, minutes, score, survey_counts


@dataclass(frozen=True)
class EscalationRow:
    reason: str
    count: int
    open: int
    claimed: int
    median_minutes_to_claim: float | None
    resolved: int
    median_minutes_to_resolve: float | None
    drill: str


@dataclass(frozen=True)
class CompensationRow:
    category: str
    count: int
    value_cents: int
    percent_coupons: int
    drill: str


@dataclass(frozen=True)
class HandlerRow:
    handled_by: str  # "bot", "staff" (everyone) or "staff: <name>"
    offered: dict[str, int]
    answered: dict[str, int]
    response_rates: dict[str, float | None]
    nps: float | None
    ces: float | None
    csat: float | None
    drill: str


def escalations(handoffs: list[HandoffRequest], drill: Drill) -> tuple[EscalationRow, ...]:
    """Per reason: requests, still open, and the median minutes to claim and to resolve."""
    rows = []
    for reason in sorted({h.reason for h in handoffs}):
        requests = [h for h in handoffs if h.reason == reason]
        claim = [m for h in requests if (m := minutes(h.created_at, h.claimed_at)) is not None]
        resolve = [m for h in requests if (m := minutes(h.created_at, h.closed_at)) is not None]
        rows.append(
            EscalationRow(
                reason=reason,
                count=len(requests),
                open=sum(h.closed_at is None for h in requests),
                claimed=len(claim),
                median_minutes_to_claim=median(claim),
                resolved=len(resolve),
                median_minutes_to_resolve=median(resolve),
                drill=drill.add(f"escalation:{reason}", (h.conversation_id for h in requests)),
            )
        )
    return tuple(rows)


def compensation_by_category(compensations: list[Compensation], drill: Drill) -> tuple[CompensationRow, ...]:
    rows = []
    for category in sorted({c.category for c in compensations}):
        issued = [c for c in compensations if c.category == category]
        count, value_cents, percent_coupons = compensation_value(issued)
        rows.append(
            CompensationRow(
                category=category,
                count=count,
                value_cents=value_cents,
                percent_coupons=percent_coupons,
                drill=drill.add(f"compensation:{category}", (c.conversation_id for c in issued)),
            )
        )
    return tuple(rows)


def recovery_drill(answered: list[SurveyResponse], history: ComplaintHistory, drill: Drill) -> dict[str, str]:
    """The drill-down key of each recovery group: the conversations of the answers it counts."""
    counted = recovery_surveys(answered)
    return {
        group: drill.add(f"recovery:{group}", [s.conversation_id for s in counted if history.group_of(s) == group])
        for group in RECOVERY_GROUPS
    }


def _handler_row(name: str, surveys: list[SurveyResponse], drill: Drill) -> HandlerRow:
    offered, answered, rates = survey_counts(surveys)
    return HandlerRow(
        handled_by=name,
        offered=offered,
        answered=answered,
        response_rates=rates,
        nps=score("nps", surveys),
        ces=score("ces", surveys),
        csat=score("csat", surveys),
        drill=drill.add(f"handler:{name}", (s.conversation_id for s in surveys)),
    )


def handlers(surveys: list[SurveyResponse], drill: Drill) -> tuple[HandlerRow, ...]:
    """Bot versus staff: everyone on the staff together, then each staff member."""
    staff = [s for s in surveys if s.handled_by != "bot"]
    rows = [
        _handler_row("bot", [s for s in surveys if s.handled_by == "bot"], drill),
        _handler_row("staff", staff, drill),
    ]
    rows += [
        _handler_row(f"staff: {name}", [s for s in staff if s.handled_by == name], drill)
        for name in sorted({s.handled_by for s in staff})
    ]
    return tuple(rows)
