"""Service recovery effectiveness: the one rule that puts a survey answer in a recovery group."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import RecoveryCase, RecoveryStatus, SurveyResponse
from feedback.metrics.people import People
from feedback.surveys.scores import summarise_csat, summarise_nps

RECOVERY_GROUPS = ("recovered", "complaint_not_recovered", "no_complaint")


@dataclass(frozen=True)
class ComplaintHistory:
    """Every person's first complaint and whether any of their complaints was recovered: a person
    (feedback/metrics/people.py) is all the channel identities linked to one customer."""

    first_complaint: dict[str, datetime]  # person key -> when
    recovered: frozenset[str]
    people: People = People({})

    @classmethod
    def load(cls, session: Session) -> ComplaintHistory:
        people = People.load(session)
        first: dict[str, datetime] = {}
        recovered: set[str] = set()
        for case in session.execute(select(RecoveryCase).where(RecoveryCase.source == "complaint")).scalars():
            at, person = case.created_at, people.of(case.customer_id)
            first[person] = min(at, first.get(person, at))
            if case.status == RecoveryStatus.RECOVERED.value:
                recovered.add(person)
        return cls(first, frozenset(recovered), people)

    def group_of(self, survey: SurveyResponse) -> str | None:
        """The group an answer counts in; None for an answer given before the person's first
        complaint (it says nothing about the recovery)."""
        customer = self.people.of(survey.customer_id)
        if customer not in self.first_complaint:
            return "no_complaint"
        if (survey.answered_at or survey.offered_at) < self.first_complaint[customer]:
            return None
        return "recovered" if customer in self.recovered else "complaint_not_recovered"


def recovery_surveys(answered: Iterable[SurveyResponse]) -> list[SurveyResponse]:
    """The answers recovery effectiveness rests on: NPS and CSAT."""
    return [s for s in answered if s.kind in ("nps", "csat")]


def score_groups(
    answered: Iterable[SurveyResponse],
    names: Iterable[str],
    group_of: Callable[[SurveyResponse], str | None],
    people: People,
) -> tuple[dict[str, dict], dict[str, set[int]]]:
    """NPS and CSAT per group of the answers `group_of` places (None: left out), with the people in
    each group (linked identities once), and the conversations behind each group."""
    groups: dict[str, dict[str, list]] = {g: {"nps": [], "csat": [], "people": []} for g in names}
    conversations: dict[str, set[int]] = {g: set() for g in groups}
    for survey in recovery_surveys(answered):
        group = group_of(survey)
        if group is None:
            continue
        groups[group][survey.kind].append(survey.score)
        groups[group]["people"].append(people.of(survey.customer_id))  # people, not identities
        conversations[group].add(survey.conversation_id)
    result = {}
    for name, values in groups.items():
        nps, csat = summarise_nps(values["nps"]), summarise_csat(values["csat"])
        result[name] = {
            "customers": len(set(values["people"])),
            "nps": nps.score,
            "nps_responses": nps.responses,
            "csat": csat.mean,
            "csat_responses": csat.responses,
        }
    return result, conversations


def recovery_effectiveness(
    answered: Iterable[SurveyResponse], history: ComplaintHistory
) -> dict[str, dict[str, float | None]]:
    """NPS and CSAT side by side for recovered complainers, other complainers and everyone else."""
    return score_groups(answered, RECOVERY_GROUPS, history.group_of, history.people)[0]
