"""Service recovery by remedy and by goodwill: the cases of a period, what each cost, and whether
customers given a remedy plus goodwill end up more loyal than those given the remedy only (the
service-recovery paradox, measured with NPS and CSAT side by side)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Compensation, CompensationStatus, RecoveryCase, SurveyResponse
from feedback.metrics.people import People
from feedback.metrics.period import Filters, in_period, with_channel
from feedback.metrics.recovery_groups import score_groups

LOYALTY_GROUPS = ("remedy_and_goodwill", "remedy_only")
NO_GOODWILL = "none"
GIVEN = (CompensationStatus.ISSUED.value, CompensationStatus.REDEEMED.value)  # goodwill the customer has
_COUNTED = (*GIVEN, CompensationStatus.PENDING_APPROVAL.value)  # what costs, or will once approved


@dataclass(frozen=True)
class RemedyHistory:
    """All time: each person's first remedied case on any channel, and whether any of them brought
    goodwill; a person (feedback/metrics/people.py) is all the channel identities linked to one customer."""

    first_remedy: dict[str, datetime]  # person key -> when
    with_goodwill: frozenset[str]
    people: People = People({})

    @classmethod
    def load(cls, session: Session, people: People | None = None) -> RemedyHistory:
        people = people if people is not None else People.load(session)
        first: dict[str, datetime] = {}
        goodwill: set[str] = set()
        query = (
            select(RecoveryCase.customer_id, RecoveryCase.created_at, Compensation.status)
            .outerjoin(Compensation, Compensation.id == RecoveryCase.compensation_id)
            .where(RecoveryCase.remedy.isnot(None))
        )
        for customer, at, goodwill_status in session.execute(query):
            person = people.of(customer)
            first[person] = min(at, first.get(person, at))
            if goodwill_status in GIVEN:
                goodwill.add(person)
        return cls(first, frozenset(goodwill), people)

    def group_of(self, survey: SurveyResponse) -> str | None:
        """remedy_and_goodwill or remedy_only; None for a person never given a remedy, or an answer
        given before their first remedy."""
        person = self.people.of(survey.customer_id)
        first = self.first_remedy.get(person)
        if first is None or (survey.answered_at or survey.offered_at) < first:
            return None
        return "remedy_and_goodwill" if person in self.with_goodwill else "remedy_only"


@dataclass(frozen=True)
class RemedyCase:
    """A remedied case of the period, with its remedy's and its goodwill's ledger rows."""

    case: RecoveryCase
    remedy_row: Compensation | None
    goodwill_row: Compensation | None

    @property
    def goodwill(self) -> str:
        row = self.goodwill_row
        return row.kind if row is not None and row.status in _COUNTED else NO_GOODWILL


def load_remedy_cases(session: Session, filters: Filters) -> list[RemedyCase]:
    """Cases opened in the period whose remedy was done, of the chosen channel."""
    query = with_channel(select(RecoveryCase), filters, RecoveryCase.conversation_id).where(
        in_period(RecoveryCase.created_at, filters), RecoveryCase.remedy.isnot(None)
    )
    cases = list(session.execute(query.order_by(RecoveryCase.id)).scalars())
    ids = {c.remedy_id for c in cases} | {c.compensation_id for c in cases}
    rows = {r.id: r for r in session.execute(select(Compensation).where(Compensation.id.in_(ids - {None}))).scalars()}
    return [RemedyCase(c, rows.get(c.remedy_id), rows.get(c.compensation_id)) for c in cases]


def _cost(rows: Iterable[Compensation | None]) -> tuple[int, int, int]:
    """Money in cents of the rows that cost, how many have no amount (a replacement, a refund a
    person looks up), and how many are percent coupons (counted, not valued)."""
    counted = [r for r in rows if r is not None and r.status in _COUNTED]
    unvalued = sum(r.amount_cents is None and r.percent is None for r in counted)
    return sum(r.amount_cents or 0 for r in counted), unvalued, sum(r.percent is not None for r in counted)


def _split(cases: list[RemedyCase], key, rows_of) -> list[dict]:
    groups: dict[str, list[RemedyCase]] = defaultdict(list)
    for case in cases:
        groups[key(case)].append(case)
    result = []
    for name in sorted(groups):
        cost, unvalued, coupons = _cost(rows_of(c) for c in groups[name])
        result.append(
            {
                "name": name,
                "cases": len(groups[name]),
                "cost_cents": cost,
                "unvalued": unvalued,
                "percent_coupons": coupons,
                "conversations": sorted({c.case.conversation_id for c in groups[name]}),
            }
        )
    return result


def loyalty(answered: Iterable[SurveyResponse], history: RemedyHistory) -> dict[str, dict]:
    """NPS and CSAT side by side for people given a remedy plus goodwill and a remedy only."""
    result, conversations = score_groups(answered, LOYALTY_GROUPS, history.group_of, history.people)
    return {group: {**row, "conversations": sorted(conversations[group])} for group, row in result.items()}


def remedy_numbers(cases: list[RemedyCase], answered: Iterable[SurveyResponse], history: RemedyHistory) -> dict:
    """The report's and the dashboard's remedy numbers: by remedy, by goodwill, and loyalty."""
    return {
        "by_remedy": _split(cases, lambda c: c.case.remedy, lambda c: c.remedy_row),
        "by_goodwill": _split(cases, lambda c: c.goodwill, lambda c: c.goodwill_row),
        "loyalty": loyalty(answered, history),
    }
