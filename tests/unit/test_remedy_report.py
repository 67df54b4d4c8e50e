"""The remedy numbers of the report and the dashboard against a recomputation by hand: cases by
remedy and by goodwill with their cost, and NPS/CSAT of remedy + goodwill against remedy only."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from bot.dashboard.page import render_dashboard
from bot.dashboard.pdf import write_pdf
from bot.dashboard.svg import escape
from bot.people.persons import link
from bot.storage.models import Compensation, RecoveryCase, SurveyResponse
from feedback.exports import compensation_rows
from feedback.metrics import Filters, build_dashboard
from feedback.metrics.formulas import PARADOX_FORMULA, REMEDY_FORMULA
from feedback.reports import as_rows, build_report
from tests.support.factories import add_conversation

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)
SINCE, UNTIL = T0 - timedelta(days=1), T0 + timedelta(days=6)
HOUR = timedelta(hours=1)


def _row(session, conversation, kind, purpose, status, *, amount=None, percent=None, key="k") -> Compensation:
    row = Compensation(
        code=f"CX-{conversation.id}{key.upper()}",
        conversation_id=conversation.id,
        customer_id=conversation.customer_id,
        kind=kind,
        purpose=purpose,
        amount_cents=amount,
        percent=percent,
        currency="EUR",
        category="billing_error",
        severity="medium",
        status=status,
        idempotency_key=key,
        created_at=T0,
    )
    session.add(row)
    session.flush()
    return row


def _case(session, conversation, category, remedy, *, remedy_row=None, goodwill_row=None, status="recovered", at=T0):
    session.add(
        RecoveryCase(
            conversation_id=conversation.id,
            customer_id=conversation.customer_id,
            source="complaint",
            category=category,
            severity="medium",
            status=status,
            remedy=remedy,
            remedy_id=remedy_row.id if remedy_row else None,
            compensation_id=goodwill_row.id if goodwill_row else None,
            created_at=at,
        )
    )


def _answer(session, conversation, kind, score, at):
    session.add(
        SurveyResponse(
            conversation_id=conversation.id,
            customer_id=conversation.customer_id,
            kind=kind,
            status="answered",
            score=score,
            offered_at=at,
            answered_at=at,
        )
    )


@pytest.fixture
def remedied(session_factory):
    """A: refund 12.50 + 15% coupon; B: replacement pending, goodwill declined; C: staff report;
    D: refund 49.90 pending + partial refund 25.00 pending; E: never complained."""
    with session_factory.begin() as session:
        a, b, c, d, e = (add_conversation(session, name, at=T0) for name in "abcde")
        refund_a = _row(session, a, "overcharge_refund", "remedy", "issued", amount=1250, key="r")
        coupon_a = _row(session, a, "coupon_percent", "goodwill", "issued", percent=15, key="g")
        _case(session, a, "billing_error", "refund_overcharge", remedy_row=refund_a, goodwill_row=coupon_a)
        swap_b = _row(session, b, "replacement", "remedy", "pending_approval", key="r")
        _case(session, b, "damaged_item", "replacement", remedy_row=swap_b, status="declined")
        _case(session, c, "rude_staff", "staff_report")
        refund_d = _row(session, d, "overcharge_refund", "remedy", "pending_approval", amount=4990, key="r")
        part_d = _row(session, d, "partial_refund", "goodwill", "pending_approval", amount=2500, key="g")
        _case(session, d, "billing_error", "refund_overcharge", remedy_row=refund_d, goodwill_row=part_d)
        _answer(session, a, "nps", 10, T0 + HOUR)
        _answer(session, a, "csat", 6, T0 + HOUR)
        _answer(session, b, "nps", 9, T0 - HOUR)  # before the remedy: says nothing about it
        _answer(session, b, "nps", 3, T0 + HOUR)
        _answer(session, b, "csat", 2, T0 + HOUR)
        _answer(session, c, "nps", 8, T0 + HOUR)
        _answer(session, d, "nps", 10, T0 + HOUR)  # goodwill still pending: remedy only
        _answer(session, e, "nps", 0, T0 + HOUR)  # no remedy: in neither group
    return session_factory


def nps(scores: list[int]) -> float:
    return 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)


def test_the_report_counts_remedies_goodwill_and_loyalty_as_recomputed(remedied):
    with remedied() as session:
        report = build_report(session, since=SINCE, until=UNTIL)
    numbers = report.remedies
    by_remedy = {r["name"]: (r["cases"], r["cost_cents"], r["unvalued"]) for r in numbers["by_remedy"]}
    assert by_remedy == {"refund_overcharge": (2, 1250 + 4990, 0), "replacement": (1, 0, 1), "staff_report": (1, 0, 0)}
    by_goodwill = {r["name"]: (r["cases"], r["cost_cents"], r["percent_coupons"]) for r in numbers["by_goodwill"]}
    assert by_goodwill == {"coupon_percent": (1, 0, 1), "none": (2, 0, 0), "partial_refund": (1, 2500, 0)}
    both, only = numbers["loyalty"]["remedy_and_goodwill"], numbers["loyalty"]["remedy_only"]
    assert (both["customers"], both["nps"], both["nps_responses"], both["csat"]) == (1, nps([10]), 1, 6.0)
    assert (only["customers"], only["nps"], only["nps_responses"], only["csat"]) == (3, nps([3, 8, 10]), 3, 2.0)
    # The compensation line counts goodwill only: the coupon and the pending partial refund.
    assert (report.compensations, report.compensation_value_cents, report.percent_coupons) == (2, 2500, 1)
    rows = dict(as_rows(report))
    assert rows["remedy: refund overcharge"] == "2 cases, cost 62.40"
    assert rows["remedy: replacement"] == "1 cases, cost 0.00 (1 without an amount)"
    assert rows["goodwill: none"] == "2 cases, cost 0.00"
    assert rows["loyalty: remedy and goodwill"] == "NPS +100.0 (n=1), CSAT 6.00 (n=1), 1 people"
    assert REMEDY_FORMULA in report.formulas and PARADOX_FORMULA in report.formulas


def test_the_dashboard_shows_the_remedies_section_with_links_and_formulas(remedied):
    with remedied() as session:
        board = build_dashboard(session, Filters(SINCE, UNTIL))
    page = render_dashboard(board, currency="EUR", link=lambda key: f"/drill/{key}")
    section = page[page.index('<section id="remedies">') :]
    section = section[: section.index("</section>")]
    for text in ("Recovery cases by remedy", "Recovery cases by goodwill", "remedy + goodwill vs remedy only"):
        assert text in section
    assert "62.40 EUR" in section and "25.00 EUR" in section
    assert "/drill/remedies:by_remedy:refund_overcharge" in section
    assert sorted(board.drilldown["remedies:loyalty:remedy_only"]) == sorted(
        board.drilldown["remedies:by_goodwill:none"] + board.drilldown["remedies:by_goodwill:partial_refund"]
    )
    assert escape(PARADOX_FORMULA) in page


def test_the_compensation_export_says_remedy_or_goodwill(remedied):
    with remedied() as session:
        rows = compensation_rows(session, Filters(SINCE, UNTIL))
    assert [(r["kind"], r["purpose"]) for r in rows] == [
        ("overcharge_refund", "remedy"),
        ("coupon_percent", "goodwill"),
        ("replacement", "remedy"),
        ("overcharge_refund", "remedy"),
        ("partial_refund", "goodwill"),
    ]


def test_the_pdf_report_has_a_remedies_page(remedied, tmp_path):
    with remedied() as session:
        board = build_dashboard(session, Filters(SINCE, UNTIL))
    write_pdf(board, tmp_path / "report.pdf", currency="EUR")
    pdf = (tmp_path / "report.pdf").read_bytes()
    pages = re.findall(rb"/Type\s*/Page\b(?!s)", pdf)
    assert len(pages) == 5  # cards, two pages of charts, remedies, questions and formulas


def test_a_period_without_remedies_says_so_in_words(session_factory):
    with session_factory() as session:
        board = build_dashboard(session, Filters(SINCE, UNTIL))
    page = render_dashboard(board, currency="EUR")
    section = page[page.index('<section id="remedies">') :]
    assert "Recovery cases by remedy</strong>: no case had a remedy in this period." in section


def test_loyalty_counts_people_with_linked_identities_once(session_factory):
    """Pia: identity W (remedy only, T0) linked to identity T (remedy + coupon issued, T0 + 2h).
    Quinn: identity Q (remedy only, T0) linked to Q2, which never had a case.
    By person: Pia is remedy + goodwill from T0 on (her first remedy on any channel), so W's NPS 6
    at T0 + 1h and T's NPS 10 and CSAT 5 at T0 + 3h count there; T's NPS 0 at T0 - 1h is before it.
    Quinn is remedy only: Q's NPS 9 and Q2's NPS 7 count there, one person.
    By identity it would have been W remedy only, T goodwill, Q2 in neither group."""
    with session_factory.begin() as session:
        w, t, q, q2 = (add_conversation(session, name, at=T0) for name in ("w", "t", "q", "q2"))
        link(session, w.customer_id, t.customer_id, how="telegram_link")
        link(session, q.customer_id, q2.customer_id, how="staff_merge")
        _case(session, w, "damaged_item", "replacement")
        coupon = _row(session, t, "coupon_percent", "goodwill", "issued", percent=10, key="g")
        _case(session, t, "billing_error", "refund_overcharge", goodwill_row=coupon, at=T0 + 2 * HOUR)
        _case(session, q, "rude_staff", "staff_report")
        _answer(session, w, "nps", 6, T0 + HOUR)
        _answer(session, t, "nps", 0, T0 - HOUR)
        _answer(session, t, "nps", 10, T0 + 3 * HOUR)
        _answer(session, t, "csat", 5, T0 + 3 * HOUR)
        _answer(session, q, "nps", 9, T0 + HOUR)
        _answer(session, q2, "nps", 7, T0 + HOUR)
        conversations = {"both": sorted([w.id, t.id]), "only": sorted([q.id, q2.id])}
    with session_factory() as session:
        report = build_report(session, since=SINCE, until=UNTIL)
    both, only = report.remedies["loyalty"]["remedy_and_goodwill"], report.remedies["loyalty"]["remedy_only"]
    assert (both["customers"], both["nps"], both["nps_responses"], both["csat"]) == (1, nps([6, 10]), 2, 5.0)
    assert (only["customers"], only["nps"], only["nps_responses"], only["csat"]) == (1, nps([9, 7]), 2, None)
    assert (both["conversations"], only["conversations"]) == (conversations["both"], conversations["only"])
    assert dict(as_rows(report))["loyalty: remedy only"] == "NPS +50.0 (n=2), CSAT n/a (n=0), 1 people"
    assert "the count is of people" in PARADOX_FORMULA and "linked" in PARADOX_FORMULA
