"""Service recovery effectiveness: the one rule that puts a survey answer in a recovery group."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import RecoveryCase, RecoveryStatus, SurveyResponse
from feedback.surveys.scores import summarise_csat, summarise_nps

RECOVERY_GROUPS = ("recovered", "complaint_not_recovered", "no_complaint")


@dataclass(frozen=True)
class ComplaintHistory:
    """Every customer's first complaint and whether any of their complaints was recovered."""

    first_complaint: dict[int, datetime]
    recovered: frozenset[int]

    @classmethod
    def load(cls, session: Session) -> ComplaintHistory:
        first: dict[int, datetime] = {}
        recovered: set[int] = set()
        for case in session.execute(select(RecoveryCase).where(RecoveryCase.source == "complaint")).scalars():
            at = case.created_at
            first[case.customer_id] = min(at, first.get(case.customer_id, at))
            if case.status == RecoveryStatus.RECOVERED.value:
                recovered.add(case.customer_id)
        return cls(first, frozenset(recovered))

    def group_of(self, survey: SurveyResponse) -> str | None:
        """The group an answer counts in; None for an answer given before the customer's first
        complaint (it says nothing about the recovery)."""
        customer = survey.customer_id
        if customer not in self.first_complaint:
            return "no_complaint"
        if (survey.answered_at or survey.offered_at) < self.first_complaint[customer]:
            return None
        return "recovered" if customer in self.recovered else "complaint_not_recovered"


def recovery_surveys(answered: Iterable[SurveyResponse]) -> list[SurveyResponse]:
    """The answers recovery effectiveness rests on: NPS and CSAT."""
    return [s for s in answered if s.kind in ("nps", "csat")]


def recovery_effectiveness(
    answered: Iterable[SurveyResponse], history: ComplaintHistory
) -> dict[str, dict[str, float | None]]:
    """NPS and CSAT side by side for recovered complainers, other complainers and everyone else."""
    groups: dict[str, dict[str, list[int]]] = {g: {"nps": [], "csat": [], "customers": []} for g in RECOVERY_GROUPS}
    for survey in recovery_surveys(answered):
        group = history.group_of(survey)
        if group is None:
            continue
        groups[group][survey.kind].append(survey.score)
        groups[group]["customers"].append(survey.customer_id)
    result = {}
    for name, values in groups.items():
        nps, csat = summarise_nps(values["nps"]), summarise_csat(values["csat"])
        result[name] = {
            "customers": len(set(values["customers"])),
            "nps": nps.score,
            "nps_responses": nps.responses,
            "csat": csat.mean,
            "csat_responses": csat.responses,
        }
    return result
