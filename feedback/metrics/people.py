"""People, not channel identities: a customer who wrote on the widget and on Telegram, linked on
proof or by a staff merge (bot/people), counts once where a number means people."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.followups import PersonIdentity
from bot.storage.models import SurveyResponse
from feedback.surveys.scores import summarise_nps

PERSON_DEFINITION = (
    "a person = the channel identities linked on proof (Continue on Telegram) or by a staff merge, counted once; "
    "an identity never linked is a person of its own"
)
NPS_PERSON_FORMULA = (
    "NPS per person = NPS over each person's latest NPS answer in the period (answered_at, then id), "
    f"so a person who answered twice, or on two channels, counts once; {PERSON_DEFINITION}"
)


@dataclass(frozen=True)
class People:
    """Which person each linked customer (channel identity) belongs to."""

    person_of_customer: dict[int, int]

    @classmethod
    def load(cls, session: Session) -> People:
        rows = session.execute(select(PersonIdentity.customer_id, PersonIdentity.person_id)).all()
        return cls({customer: person for customer, person in rows})

    def of(self, customer_id: int) -> str:
        """A key that is the same for every identity of one person ("p7"), "c12" if never linked."""
        person = self.person_of_customer.get(customer_id)
        return f"p{person}" if person is not None else f"c{customer_id}"


def nps_per_person(answered: Iterable[SurveyResponse], people: People) -> dict[str, float | int | None]:
    """NPS of each person's latest NPS answer: the score, and how many people in each group."""
    latest: dict[str, SurveyResponse] = {}
    for survey in answered:
        if survey.kind != "nps" or survey.status != "answered" or survey.score is None:
            continue
        key = people.of(survey.customer_id)
        seen = latest.get(key)
        if seen is None or (survey.answered_at or survey.offered_at, survey.id) > (
            seen.answered_at or seen.offered_at,
            seen.id,
        ):
            latest[key] = survey
    nps = summarise_nps(s.score for s in latest.values())
    return {
        "nps": nps.score,
        "people": len(latest),
        "promoters": nps.promoters,
        "passives": nps.passives,
        "detractors": nps.detractors,
    }
