"""Reports count people where the number means people: NPS per person (each person's latest NPS
answer) and the recovery groups, with linked channel identities counted once; follow-up figures
next to recovery effectiveness. Every expected number is worked out by hand from the fixed data."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.dashboard.cards import summary_rows
from bot.dashboard.pdf import detail_lines, write_pdf
from bot.people.persons import link
from bot.storage.followups import FollowUp
from bot.storage.models import Conversation, Customer, RecoveryCase, SurveyResponse
from feedback.followups import FOLLOWUP_FORMULA
from feedback.metrics import Filters, build_dashboard
from feedback.reports import as_rows, build_report, render

DAY = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)
SINCE, UNTIL = DAY - timedelta(days=1), DAY + timedelta(days=10)


def _customer(session, channel: str, sender: str) -> tuple[Customer, Conversation]:
    customer = Customer(channel=channel, external_id=sender, first_seen=DAY, last_seen=DAY)
    session.add(customer)
    session.flush()
    conversation = Conversation(customer_id=customer.id, channel=channel, started_at=DAY, last_activity_at=DAY)
    session.add(conversation)
    session.flush()
    return customer, conversation


def _answer(session, conversation: Conversation, kind: str, score: int, day: int) -> SurveyResponse:
    at = DAY + timedelta(days=day)
    survey = SurveyResponse(
        conversation_id=conversation.id, customer_id=conversation.customer_id, kind=kind, status="answered",
        score=score, offered_at=at, answered_at=at,
    )  # fmt: skip
    session.add(survey)
    session.flush()
    return survey


def fixed_data(session) -> None:
    """Ann: widget + Telegram, linked; a complaint on the widget, recovered, on day 0; NPS 3 on
    the widget (day 1), NPS 10 on Telegram (day 3).
    Bob: widget only; NPS 5 (day 1), NPS 9 (day 2).
    Cem: widget + Telegram, linked by a staff merge; NPS 8 on Telegram (day 2).
    Follow-ups sent in the period: 4; answered 3 (yes, no, yes); CSAT after yes: 6 and 4."""
    ann_w, ann_w_conv = _customer(session, "widget", "visitor:ann")
    ann_t, ann_t_conv = _customer(session, "telegram", "101")
    link(session, ann_w.id, ann_t.id, how="telegram_link")
    case = RecoveryCase(
        conversation_id=ann_w_conv.id, customer_id=ann_w.id, source="complaint", category="damaged_item",
        severity="medium", status="recovered", created_at=DAY, closed_at=DAY,
    )  # fmt: skip
    session.add(case)
    session.flush()
    _answer(session, ann_w_conv, "nps", 3, 1)
    _answer(session, ann_t_conv, "nps", 10, 3)
    _, bob_conv = _customer(session, "widget", "visitor:bob")
    _answer(session, bob_conv, "nps", 5, 1)
    _answer(session, bob_conv, "nps", 9, 2)
    cem_w, _ = _customer(session, "widget", "visitor:cem")
    cem_t, cem_t_conv = _customer(session, "telegram", "303")
    link(session, cem_w.id, cem_t.id, how="staff_merge")
    _answer(session, cem_t_conv, "nps", 8, 2)
    csat_yes = [_answer(session, ann_t_conv, "csat", 6, 4), _answer(session, bob_conv, "csat", 4, 4)]
    cases = []
    for _ in range(4):
        extra = RecoveryCase(
            conversation_id=bob_conv.id, customer_id=bob_conv.customer_id, source="nps_detractor",
            category="other", severity="low", status="recovered", created_at=DAY,
        )  # fmt: skip
        session.add(extra)
        session.flush()
        cases.append(extra.id)
    answers = [("yes", csat_yes[0].id), ("no", None), ("yes", csat_yes[1].id), (None, None)]
    for case_id, (answer, survey_id) in zip(cases, answers, strict=True):
        session.add(
            FollowUp(
                case_id=case_id, customer_id=bob_conv.customer_id, channel="telegram", status="sent",
                due_at=DAY, sent_at=DAY + timedelta(days=3), answer=answer, survey_id=survey_id,
            )
        )  # fmt: skip
    # One sent before the period: not counted.
    session.add(
        FollowUp(case_id=case.id, customer_id=ann_w.id, channel="widget", status="sent", due_at=DAY,
                 sent_at=SINCE - timedelta(days=1), answer="no")
    )  # fmt: skip


def test_nps_per_person_and_recovery_count_people(session_factory):
    with session_factory.begin() as session:
        fixed_data(session)
    with session_factory() as session:
        report = build_report(session, since=SINCE, until=UNTIL)
    # Per answer (unchanged): 3, 10, 5, 9, 8: promoters 2, passives 1, detractors 2, NPS 0.
    assert (report.nps, report.nps_promoters, report.nps_passives, report.nps_detractors) == (0.0, 2, 1, 2)
    # Per person, the latest answer: Ann 10, Bob 9, Cem 8: 2 promoters of 3 people = +66.7.
    people = report.nps_people
    assert (people["people"], people["promoters"], people["passives"], people["detractors"]) == (3, 2, 1, 0)
    assert round(people["nps"], 1) == 66.7
    # Recovery: Ann's Telegram answer counts as Ann's (complained on the widget): one person,
    # NPS over 3 and 10 = (1 - 1) / 2 = 0; CSAT 6. No complaint: Bob and Cem, two people,
    # NPS over 5, 9, 8 = 0; CSAT 4.
    recovered, untouched = report.recovery["recovered"], report.recovery["no_complaint"]
    assert (recovered["customers"], recovered["nps"], recovered["nps_responses"], recovered["csat"]) == (1, 0.0, 2, 6.0)
    assert (untouched["customers"], untouched["nps"], untouched["nps_responses"], untouched["csat"]) == (2, 0.0, 3, 4.0)
    # Follow-ups in the period: 4 sent, 3 answered, 1 "no" (1/3), CSAT after yes (6 + 4) / 2 = 5.
    assert report.followups == {
        "sent": 4, "answered": 3, "not_resolved": 1, "not_resolved_rate": 1 / 3, "csat": 5.0, "csat_responses": 2,
    }  # fmt: skip
    rows = dict(as_rows(report))
    assert rows["NPS per person"] == "+66.7 (3 people: promoters 2, passives 1, detractors 0)"
    assert rows["recovery: recovered"].endswith(", 1 people")
    assert rows["follow-ups"] == (
        "sent 4, answered 3, not resolved 1 (33% of answers), CSAT after follow-up 5.00 (n=2)"
    )
    text = render(report, "text")
    assert "NPS per person = NPS over each person's latest NPS answer" in text
    assert "the count is of people, a person = the channel identities linked" in text
    assert '"not resolved" rate = "no" answers / answers' in text
    keys = list(as_rows(report))
    assert [k for k, _ in keys].index("follow-ups") > [k for k, _ in keys].index("recovery: no complaint")


def test_the_dashboard_and_its_pdf_count_people_and_show_the_follow_ups(session_factory):
    with session_factory.begin() as session:
        fixed_data(session)
    with session_factory() as session:
        board = build_dashboard(session, Filters(since=SINCE, until=UNTIL))
    summary = dict(summary_rows(board, "EUR"))
    assert summary["NPS per person"] == "+66.7 (3 people: promoters 2, passives 1, detractors 0)"
    lines = detail_lines(board, "EUR")
    assert "    recovered: 1 people, NPS +0.0 (n=2), CSAT 6.00 (n=1)" in lines
    assert (
        "    follow-ups: sent 4, answered 3, not resolved 1 (33% of answers), CSAT after follow-up 5.00 (n=2)" in lines
    )
    assert any(f.startswith("NPS per person") for f in board.formulas)
    out = io.BytesIO()
    write_pdf(board, out, currency="EUR")
    assert out.getvalue().startswith(b"%PDF")


def test_follow_up_figures_follow_the_reports_channel(session_factory):
    """The fixed data's four follow-ups in the period went out on Telegram; one more, shown in the
    widget and answered "no", makes five on all channels, one on the widget."""
    with session_factory.begin() as session:
        fixed_data(session)
        ann_w = session.execute(select(Customer.id).where(Customer.external_id == "visitor:ann")).scalar_one()
        ann_conv = session.execute(select(Conversation.id).where(Conversation.customer_id == ann_w)).scalar_one()
        case = RecoveryCase(
            conversation_id=ann_conv, customer_id=ann_w, source="nps_detractor", category="other",
            severity="low", status="recovered", created_at=DAY,
        )  # fmt: skip
        session.add(case)
        session.flush()
        session.add(
            FollowUp(case_id=case.id, customer_id=ann_w, channel="widget", status="sent", due_at=DAY,
                     sent_at=DAY + timedelta(days=2), answer="no")
        )  # fmt: skip
    with session_factory() as session:
        figures = {
            channel: build_report(session, since=SINCE, until=UNTIL, channel=channel).followups
            for channel in (None, "telegram", "widget")
        }
    assert [(f["sent"], f["answered"], f["not_resolved"]) for f in figures.values()] == [
        (5, 4, 2),
        (4, 3, 1),
        (1, 1, 1),
    ]
    assert (figures["telegram"]["csat"], figures["widget"]["csat"]) == (5.0, None)
    assert "with a channel chosen, only follow-ups sent on that channel" in FOLLOWUP_FORMULA
