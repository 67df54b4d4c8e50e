"""What follow-ups achieved, for the desk, the dashboard, its PDF and `cxbot report` (next to the
recovery-effectiveness figures; the formula is FOLLOWUP_FORMULA)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.followups import FollowUp
from bot.storage.models import SurveyResponse

FOLLOWUP_FORMULA = (
    "follow-ups: sent = check-ins sent (Telegram) or shown (widget) in the period; answered = of those, answered "
    '"yes", "no" or "stop"; "not resolved" rate = "no" answers / answers; CSAT after follow-up = mean of the CSAT '
    'answers (1-7) given after a "yes"; with a channel chosen, only follow-ups sent on that channel'
)


@dataclass(frozen=True)
class FollowUpFigures:
    sent: int  # follow-ups sent (or shown in the widget) in the period, by sent_at
    answered: int  # of those, answered yes, no or stop
    not_resolved: int  # of those, answered "no"
    csat_scores: tuple[int, ...]  # CSAT answers given after a "yes"

    @property
    def not_resolved_rate(self) -> float | None:
        """ "no" answers / answers (yes + no + stop); None without answers."""
        return self.not_resolved / self.answered if self.answered else None

    @property
    def csat_mean(self) -> float | None:
        """Mean CSAT (1-7) given right after a "yes"; None without answers."""
        return sum(self.csat_scores) / len(self.csat_scores) if self.csat_scores else None


def followup_figures(
    session: Session, *, since: datetime, until: datetime, channel: str | None = None
) -> FollowUpFigures:
    """`channel`: only follow-ups sent on it (the customer's channel); None, all channels."""
    query = (
        select(FollowUp.answer, SurveyResponse.status, SurveyResponse.score)
        .outerjoin(SurveyResponse, FollowUp.survey_id == SurveyResponse.id)
        .where(FollowUp.sent_at >= since, FollowUp.sent_at < until)
    )
    if channel:
        query = query.where(FollowUp.channel == channel)
    rows = session.execute(query).all()
    return FollowUpFigures(
        sent=len(rows),
        answered=sum(1 for answer, _, _ in rows if answer),
        not_resolved=sum(1 for answer, _, _ in rows if answer == "no"),
        csat_scores=tuple(score for _, status, score in rows if status == "answered" and score is not None),
    )


def as_dict(figures: FollowUpFigures) -> dict[str, float | int | None]:
    """The figures as the report's JSON and rows read them."""
    return {
        "sent": figures.sent,
        "answered": figures.answered,
        "not_resolved": figures.not_resolved,
        "not_resolved_rate": figures.not_resolved_rate,
        "csat": figures.csat_mean,
        "csat_responses": len(figures.csat_scores),
    }
