import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.storage.models import Compensation, HandoffRequest, Message, RecoveryStatus
from feedback.recovery import open_case
from feedback.reports import build_report, render
from feedback.surveys import records as surveys
from tests.support.factories import add_conversation

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)


def new_conversation(session, external_id: str):
    return add_conversation(session, external_id, at=T0)


def test_an_answer_is_recorded_once(session_factory):
    with session_factory.begin() as session:
        conversation = new_conversation(session, "a")
        survey = surveys.offer(session, conversation_id=conversation.id, kind="nps")
        again = surveys.offer(session, conversation_id=conversation.id, kind="nps")
        assert again.id == survey.id
        assert surveys.answer(session, survey_id=survey.id, value=9) is True
        assert surveys.answer(session, survey_id=survey.id, value=3) is False  # sent twice
        assert (survey.status, survey.score) == ("answered", 9)


@pytest.mark.parametrize(
    "kind, value", [("nps", 11), ("nps", -1), ("csat", 0), ("csat", 8), ("ces", "meh"), ("nps", True), ("csat", "7")]
)
def test_out_of_scale_answers_are_refused(session_factory, kind, value):
    with session_factory.begin() as session:
        conversation = new_conversation(session, "b")
        survey = surveys.offer(session, conversation_id=conversation.id, kind=kind)
        with pytest.raises(ValueError):
            surveys.answer(session, survey_id=survey.id, value=value)
        assert survey.status == "offered"


def test_nps_fatigue_window(session_factory):
    with session_factory.begin() as session:
        conversation = new_conversation(session, "c")
        surveys.offer(session, conversation_id=conversation.id, kind="nps", now=T0)
        customer = conversation.customer_id
        assert not surveys.nps_allowed(
            session, customer_id=customer, window=timedelta(days=90), now=T0 + timedelta(days=89)
        )
        assert surveys.nps_allowed(
            session, customer_id=customer, window=timedelta(days=90), now=T0 + timedelta(days=91)
        )


@pytest.fixture
def fixed_data(session_factory):
    """Ten customers' answers, messages, escalations and compensation on fixed dates."""
    nps_scores = [10, 9, 9, 8, 7, 6, 3, 0, 10, 5]
    csat_scores = [7, 6, 5, 2, 7]
    ces_answers = ["very_easy", "easy", "difficult", "very_difficult", "neutral", "easy"]
    polarities = [0.5, -0.2, 0.0, -0.8, 0.3]
    with session_factory.begin() as session:
        for i, score in enumerate(nps_scores):
            conversation = new_conversation(session, f"n{i}")
            survey = surveys.offer(session, conversation_id=conversation.id, kind="nps", now=T0)
            surveys.answer(session, survey_id=survey.id, value=score, now=T0)
        for i, score in enumerate(csat_scores):
            conversation = new_conversation(session, f"s{i}")
            survey = surveys.offer(session, conversation_id=conversation.id, kind="csat", now=T0)
            surveys.answer(session, survey_id=survey.id, value=score, now=T0)
        unanswered = new_conversation(session, "quiet")
        surveys.offer(session, conversation_id=unanswered.id, kind="csat", now=T0)
        for i, answer in enumerate(ces_answers):
            conversation = new_conversation(session, f"e{i}")
            survey = surveys.offer(session, conversation_id=conversation.id, kind="ces", now=T0)
            surveys.answer(session, survey_id=survey.id, value=answer, now=T0)
        chat = new_conversation(session, "chatty")
        for p in polarities:
            session.add(
                Message(
                    conversation_id=chat.id, direction="customer", text="x", polarity=p, handled=True, created_at=T0
                )
            )
        session.add(
            Message(
                conversation_id=chat.id,
                direction="customer",
                text="/affirm",
                polarity=None,
                handled=True,
                created_at=T0,
            )
        )
        # One active request per conversation (a unique index holds it): the earlier two were resolved.
        for reason, status in [
            ("customer_request", "resolved"),
            ("customer_request", "resolved"),
            ("repeated_fallback", "open"),
        ]:
            session.add(HandoffRequest(conversation_id=chat.id, reason=reason, status=status, created_at=T0))
        for amount, percent, status in [
            (495, None, "issued"),
            (None, 20, "issued"),
            (2500, None, "pending_approval"),
            (1000, None, "declined"),
        ]:
            session.add(
                Compensation(
                    code=f"CX-T{amount}{percent}",
                    conversation_id=chat.id,
                    customer_id=chat.customer_id,
                    kind="x",
                    amount_cents=amount,
                    percent=percent,
                    currency="EUR",
                    category="other",
                    severity="low",
                    reason="",
                    status=status,
                    idempotency_key=f"{amount}{percent}",
                    created_at=T0,
                )
            )
        outside = new_conversation(session, "later")
        survey = surveys.offer(session, conversation_id=outside.id, kind="nps", now=T0 + timedelta(days=40))
        surveys.answer(session, survey_id=survey.id, value=0, now=T0 + timedelta(days=40))
    return dict(nps=nps_scores, csat=csat_scores, ces=ces_answers, polarities=polarities)


def test_report_agrees_with_an_independent_recomputation(session_factory, fixed_data):
    with session_factory() as session:
        report = build_report(session, since=T0 - timedelta(days=1), until=T0 + timedelta(days=1))
    nps = fixed_data["nps"]
    assert report.nps == pytest.approx(100 * (sum(s >= 9 for s in nps) - sum(s <= 6 for s in nps)) / len(nps))
    assert (report.nps_promoters, report.nps_passives, report.nps_detractors) == (4, 2, 4)
    assert report.nps == pytest.approx(0.0)
    ces_values = {"very_easy": 2, "easy": 1, "neutral": 0, "difficult": -1, "very_difficult": -2}
    assert report.ces == pytest.approx(sum(ces_values[a] for a in fixed_data["ces"]) / 6)
    assert report.ces_distribution == {"very_easy": 1, "easy": 2, "difficult": 1, "very_difficult": 1, "neutral": 1}
    assert report.csat == pytest.approx(27 / 5)
    assert report.csat_satisfied_share == pytest.approx(3 / 5)
    assert report.response_rates == {"nps": 1.0, "ces": 1.0, "csat": pytest.approx(5 / 6)}
    assert report.sentiment_mean == pytest.approx(sum(fixed_data["polarities"]) / 5)
    assert report.sentiment_negative_share == pytest.approx(2 / 5)
    assert report.escalations_by_reason == {"customer_request": 2, "repeated_fallback": 1}
    assert (report.compensations, report.compensation_value_cents, report.percent_coupons) == (3, 2995, 1)


def test_report_of_an_empty_period_says_so(session_factory, fixed_data):
    with session_factory() as session:
        report = build_report(session, since=T0 + timedelta(days=100), until=T0 + timedelta(days=101))
    assert report.nps is None and report.ces is None and report.csat is None
    assert "n/a" in render(report, "table")


def test_cxbot_report_cli_prints_numbers_and_formulas(session_factory, fixed_data, database_url):
    cxbot = Path(sys.executable).with_name("cxbot")
    env = {**os.environ, "CXBOT_DATABASE_URL": database_url}
    args = [str(cxbot), "report", "--since", "2026-11-01", "--until", "2026-11-03"]
    as_json = json.loads(
        subprocess.run(args + ["--format", "json"], env=env, capture_output=True, text=True, check=True).stdout
    )
    assert as_json["nps"] == pytest.approx(0.0) and as_json["nps_detractors"] == 4
    assert as_json["csat"] == pytest.approx(5.4)
    table = subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout
    assert "NPS = % promoters (9-10) - % detractors (0-6)" in table
    assert re.search(r"^CSAT +5\.40 \(satisfied 60%\)$", table, re.M)
    assert re.search(r"^recovery: no complaint +NPS \+0\.0 \(n=10\)", table, re.M)
    csv_text = subprocess.run(args + ["--format", "csv"], env=env, capture_output=True, text=True, check=True).stdout
    assert csv_text.splitlines()[0] == "metric,value"
    bad = subprocess.run(args[:2] + ["--since", "yesterday-ish"], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "not a date" in bad.stderr


def test_recovery_effectiveness_compares_recovered_unrecovered_and_no_complaint(session_factory):
    """Scores after a complaint count for the complaint groups; scores before it don't."""

    def customer(name, nps=None, csat=None, case_status=None, answered=T0):
        conversation = new_conversation(session, name)
        if case_status:
            open_case(
                session,
                conversation_id=conversation.id,
                source="complaint",
                category="late_delivery",
                severity="low",
                status=RecoveryStatus(case_status),
                now=T0 - timedelta(hours=1),
            )
        for kind, value in (("nps", nps), ("csat", csat)):
            if value is not None:
                survey = surveys.offer(session, conversation_id=conversation.id, kind=kind, now=answered)
                surveys.answer(session, survey_id=survey.id, value=value, now=answered)

    with session_factory.begin() as session:
        customer("r1", nps=10, csat=7, case_status="recovered")
        customer("r2", nps=9, case_status="recovered")
        customer("d1", nps=3, csat=2, case_status="declined")
        customer("d2", nps=8, case_status="cancelled")
        customer("early", nps=10, case_status="declined", answered=T0 - timedelta(hours=2))  # before: ignored
        customer("n1", nps=6, csat=5)
        # A detractor's follow-up case is not a complaint: this customer stays in "no complaint".
        conversation = new_conversation(session, "n2")
        open_case(session, conversation_id=conversation.id, source="nps_detractor", category="other", severity="high")
        survey = surveys.offer(session, conversation_id=conversation.id, kind="nps", now=T0)
        surveys.answer(session, survey_id=survey.id, value=2, now=T0)
    with session_factory() as session:
        recovery = build_report(session, since=T0 - timedelta(days=1), until=T0 + timedelta(days=1)).recovery
    assert recovery["recovered"] == {"customers": 2, "nps": 100.0, "nps_responses": 2, "csat": 7.0, "csat_responses": 1}
    assert recovery["complaint_not_recovered"]["nps"] == pytest.approx(-50.0)  # 3 detractor, 8 passive
    assert recovery["complaint_not_recovered"]["csat"] == 2.0
    assert recovery["complaint_not_recovered"]["customers"] == 2
    assert recovery["no_complaint"]["nps"] == pytest.approx(-100.0)
    assert recovery["no_complaint"]["nps_responses"] == 2
