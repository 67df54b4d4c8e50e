"""The dashboard's numbers, `cxbot report`, the CSV exports and an independent recomputation from
the fixed rows all agree (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path

import pytest

from feedback.exports import export_csv
from feedback.metrics import Filters, build_dashboard
from feedback.reports import as_report, build_report
from tests.support.dashboard_data import CES_VALUE, SINCE, UNTIL, XSS_QUESTION, add_fixed_data, conversations_in_period

CXBOT = Path(sys.executable).with_name("cxbot")


@pytest.fixture
def fixed(session_factory):
    with session_factory.begin() as session:
        return add_fixed_data(session)


def expected(channel=None) -> dict:
    """The numbers recomputed by hand from tests/support/dashboard_data.FIXED, with no project code."""
    specs = conversations_in_period(channel)
    surveys = [
        (spec, kind, status, value, who) for spec in specs for kind, status, value, who in spec.get("surveys", [])
    ]
    answered = {
        k: [v for _, kind, status, v, _ in surveys if kind == k and status == "answered"]
        for k in ("nps", "ces", "csat")
    }
    offered = {k: sum(kind == k for _, kind, _, _, _ in surveys) for k in ("nps", "ces", "csat")}
    nps = answered["nps"]
    polarities = [p for spec in specs for p in spec["polarities"] if p is not None]
    compensation = [c for spec in specs for c in spec.get("compensation", []) if c[3] != "declined"]
    return {
        "nps": 100 * (sum(s >= 9 for s in nps) - sum(s <= 6 for s in nps)) / len(nps) if nps else None,
        "nps_counts": (sum(s >= 9 for s in nps), sum(7 <= s <= 8 for s in nps), sum(s <= 6 for s in nps)),
        "ces": sum(CES_VALUE[a] for a in answered["ces"]) / len(answered["ces"]) if answered["ces"] else None,
        "csat": sum(answered["csat"]) / len(answered["csat"]) if answered["csat"] else None,
        "rates": {k: (len(answered[k]) / offered[k] if offered[k] else None) for k in ("nps", "ces", "csat")},
        "sentiment": sum(polarities) / len(polarities),
        "negative": sum(p < 0 for p in polarities) / len(polarities),
        "messages": len(polarities),
        "escalations": {
            r: sum(h[0] == r for s in specs for h in s.get("handoffs", []))
            for s in specs
            for r, _ in s.get("handoffs", [])
        },
        "compensations": len(compensation),
        "value": sum(c[1] or 0 for c in compensation),
    }


def test_totals_equal_the_report_and_an_independent_recomputation(session_factory, fixed):
    with session_factory() as session:
        board = build_dashboard(session, Filters(SINCE, UNTIL))
        report = build_report(session, since=SINCE, until=UNTIL)
    mine = asdict(as_report(board))
    theirs = asdict(report)
    assert mine == theirs
    want, t = expected(), board.totals
    assert (
        t.nps == pytest.approx(want["nps"])
        and (t.nps_promoters, t.nps_passives, t.nps_detractors) == want["nps_counts"]
    )
    assert t.nps == pytest.approx(0.0)  # promoters 9 and 10, passive 8, detractors 3 and 6
    assert t.ces == pytest.approx(want["ces"]) and t.csat == pytest.approx(want["csat"])
    assert t.response_rates == pytest.approx(want["rates"])
    assert t.sentiment_mean == pytest.approx(want["sentiment"]) and t.sentiment_negative_share == pytest.approx(
        want["negative"]
    )
    assert t.customer_messages == want["messages"]
    assert t.escalations_by_reason == want["escalations"]
    assert (t.compensations, t.compensation_value_cents, t.percent_coupons) == (want["compensations"], want["value"], 1)


def test_a_channel_filter_counts_only_that_channel(session_factory, fixed):
    with session_factory() as session:
        board = build_dashboard(session, Filters(SINCE, UNTIL, channel="telegram"))
    want, t = expected("telegram"), board.totals
    assert t.nps == pytest.approx(want["nps"]) and t.ces == pytest.approx(want["ces"]) and t.csat is None
    assert t.response_rates == pytest.approx(want["rates"])
    assert t.sentiment_mean == pytest.approx(want["sentiment"])
    assert t.escalations_by_reason == {"nps_detractor": 1}
    assert (t.compensations, t.compensation_value_cents) == (want["compensations"], want["value"])
    assert set(board.sentiment_by_channel) == {"telegram"}
    assert board.channels == ("rest", "telegram", "widget")  # the filter's choices: every channel


def test_series_distributions_and_breakdowns(session_factory, fixed):
    with session_factory() as session:
        board = build_dashboard(session, Filters(SINCE, UNTIL))
    assert board.bucket == "day" and board.buckets[0] == "2026-11-02" and len(board.buckets) == 7
    nps_by_day = {p.label: (p.value, p.count) for p in board.scores["nps"]}
    assert nps_by_day["2026-11-03"] == (pytest.approx(0.0), 2)  # 9 and 3
    assert nps_by_day["2026-11-02"] == (None, 0)
    rates = {p.label: p.value for p in board.response_rates["nps"]}
    assert rates["2026-11-08"] == 0.0  # offered, not answered
    assert {p.label: p.count for p in board.distributions["nps"] if p.count} == {
        "3": 1,
        "6": 1,
        "8": 1,
        "9": 1,
        "10": 1,
    }
    assert {p.label: p.count for p in board.distributions["ces"] if p.count} == {
        "very_easy": 1,
        "easy": 1,
        "difficult": 1,
        "neutral": 1,
    }
    assert sum(p.count for p in board.distributions["csat"]) == 2
    # Sentiment by channel per day: widget on the 3rd is customer b (-0.6; the tapped order number has none).
    widget = {p.label: p.value for p in board.sentiment_by_channel["widget"]}
    assert widget["2026-11-03"] == pytest.approx(-0.6)
    topics = {t.topic: t for t in board.sentiment_by_topic}
    assert (
        topics["complaint: damaged_item"].mean == pytest.approx(-0.6)
        and topics["complaint: damaged_item"].negative_share == 1.0
    )
    assert topics["faq: order_status"].messages == 1
    over_time = {p.label: p.value for p in board.sentiment_by_topic_series["complaint: damaged_item"]}
    assert over_time["2026-11-03"] == pytest.approx(-0.6) and over_time["2026-11-04"] is None
    assert len(board.sentiment_by_topic_series) == 5  # the five busiest topics
    escalations = {e.reason: e for e in board.escalations}
    assert escalations["nps_detractor"].median_minutes_to_resolve == pytest.approx(45)
    assert (escalations["customer_request"].open, escalations["customer_request"].resolved) == (1, 0)
    assert escalations["customer_request"].median_minutes_to_claim is None
    compensation = {c.category: c for c in board.compensation}
    assert (compensation["late_delivery"].count, compensation["late_delivery"].value_cents) == (2, 495)
    assert (compensation["other"].count, compensation["other"].value_cents) == (1, 2500)
    assert "damaged_item" not in compensation  # declined
    handlers = {h.handled_by: h for h in board.handlers}
    assert handlers["bot"].response_rates["nps"] == pytest.approx(4 / 5)
    assert handlers["staff"].answered == {"nps": 1, "ces": 2, "csat": 1} and handlers["staff"].csat == 4.0
    assert handlers["staff: alice"].ces == -1.0 and handlers["staff: bob"].nps == 0.0


def test_recovery_groups_and_drill_down(session_factory, fixed):
    with session_factory() as session:
        board = build_dashboard(session, Filters(SINCE, UNTIL))
    assert board.recovery["recovered"]["nps"] == 100.0 and board.recovery["complaint_not_recovered"]["nps"] == -100.0
    assert board.drilldown[board.recovery_drill["recovered"]] == (fixed["b"],)
    assert board.drilldown[board.recovery_drill["complaint_not_recovered"]] == (fixed["c"],)
    assert set(board.drilldown[board.recovery_drill["no_complaint"]]) == {fixed[n] for n in ("a", "d", "e", "g", "h")}
    # Every number's conversations: the NPS of the 3rd, the detractor escalations, a score of 10.
    assert set(board.drilldown["nps:2026-11-03"]) == {fixed["b"], fixed["c"]}
    assert board.drilldown["escalation:nps_detractor"] == (fixed["c"],)
    assert board.drilldown["nps-score:10"] == (fixed["d"],)
    assert fixed["later"] not in {cid for ids in board.drilldown.values() for cid in ids}


def test_fallback_questions_are_grouped_and_counted(session_factory, fixed):
    with session_factory() as session:
        board = build_dashboard(session, Filters(SINCE, UNTIL))
    groups = [(g.example, g.count, len(g.conversation_ids)) for g in board.fallbacks]
    # "4829173" was read as a fallback but the recovery form took it as an order number: understood.
    assert groups[0] == ("Do you sell gift wrapping?", 2, 2)
    assert sorted(groups[1:]) == [(XSS_QUESTION, 1, 1), ("can I pay with bitcoin", 1, 1)]
    assert board.fallbacks[0].variants == ("do you sell GIFT wrapping",)


def test_weeks_for_long_periods(session_factory, fixed):
    with session_factory() as session:
        board = build_dashboard(session, Filters(SINCE - timedelta(days=21), UNTIL + timedelta(days=14)))
    assert board.bucket == "week" and board.buckets[0] == "2026-10-12" and "2026-11-02" in board.buckets
    week = {p.label: p for p in board.scores["nps"]}
    assert week["2026-11-02"].count == 5 and week["2026-11-09"].count == 1  # "later" answered 0 on the 10th
    assert week["2026-11-09"].value == -100.0


def _rows(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_exports_recompute_to_the_same_numbers(session_factory, fixed):
    filters = Filters(SINCE, UNTIL)
    with session_factory() as session:
        board = build_dashboard(session, filters)
        surveys = _rows(export_csv("surveys", session, filters))
        conversations = _rows(export_csv("conversations", session, filters))
        compensation = _rows(export_csv("compensation", session, filters))
    nps = [int(r["score"]) for r in surveys if r["kind"] == "nps" and r["status"] == "answered"]
    assert 100 * (sum(s >= 9 for s in nps) - sum(s <= 6 for s in nps)) / len(nps) == pytest.approx(board.totals.nps)
    ces = [CES_VALUE[r["answer"]] for r in surveys if r["kind"] == "ces" and r["status"] == "answered"]
    assert sum(ces) / len(ces) == pytest.approx(board.totals.ces)
    assert [int(r["score"]) for r in surveys if r["kind"] == "ces" and r["status"] == "answered"] == ces
    for kind in ("nps", "ces", "csat"):
        rows = [r for r in surveys if r["kind"] == kind]
        assert sum(r["status"] == "answered" for r in rows) / len(rows) == pytest.approx(
            board.totals.response_rates[kind]
        )
    counted = [r for r in compensation if r["status"] != "declined"]
    assert len(counted) == board.totals.compensations and len(compensation) == 4
    assert sum(int(r["amount_cents"] or 0) for r in counted) == board.totals.compensation_value_cents
    assert {r["conversation_public_id"] for r in conversations} == {
        f"fixed-{c['name']}" for c in conversations_in_period()
    }
    row_c = next(r for r in conversations if r["conversation_public_id"] == "fixed-c")
    assert (row_c["topic"], row_c["nps"], row_c["escalation_reasons"], row_c["compensations"]) == (
        "complaint: damaged_item",
        "3",
        "nps_detractor",
        "0",
    )
    assert float(row_c["mean_polarity"]) == pytest.approx(-0.6)
    row_f = next(r for r in conversations if r["conversation_public_id"] == "fixed-f")
    assert row_f["fallbacks"] == "2"
    assert sum(int(r["fallbacks"]) for r in conversations) == sum(g.count for g in board.fallbacks)


def _cxbot(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CXBOT_DATABASE_URL": database_url}
    return subprocess.run([str(CXBOT), *args], env=env, capture_output=True, text=True, timeout=300)


def test_cli_report_json_export_html_and_pdf_agree(session_factory, fixed, database_url, tmp_path):
    period = ["--since", "2026-11-02", "--until", "2026-11-09"]
    with session_factory() as session:
        board = build_dashboard(session, Filters(SINCE, UNTIL))
        surveys_csv = export_csv("surveys", session, Filters(SINCE, UNTIL, "widget"))
    result = _cxbot(database_url, "report", *period, "--format", "json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["nps"] == pytest.approx(board.totals.nps) and report["csat"] == pytest.approx(board.totals.csat)
    assert report["response_rates"] == pytest.approx(board.totals.response_rates)
    assert report["compensation_value_cents"] == board.totals.compensation_value_cents
    assert report["recovery"] == board.recovery

    by_channel = json.loads(_cxbot(database_url, "report", *period, "--channel", "telegram", "--format", "json").stdout)
    assert by_channel["nps"] == pytest.approx(expected("telegram")["nps"])

    out = tmp_path / "surveys.csv"
    result = _cxbot(database_url, "export", "surveys", *period, "--channel", "widget", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert out.read_text(encoding="utf-8") == surveys_csv
    assert (
        _cxbot(database_url, "export", "surveys", *period)
        .stdout.splitlines()[0]
        .startswith("survey_id,conversation_id")
    )
    bad = _cxbot(database_url, "export", "surveys", "--since", "last tuesday")
    assert bad.returncode != 0 and "not a date" in bad.stderr

    html_path = tmp_path / "report.html"
    result = _cxbot(database_url, "report", *period, "--format", "html", "--out", str(html_path))
    assert result.returncode == 0, result.stderr
    html = html_path.read_text(encoding="utf-8")
    assert html.count("<svg") >= 15 and "<script" not in html.replace("&lt;script", "")
    assert "NPS = % promoters (9-10) - % detractors (0-6)" in html
    assert f"<td>NPS</td><td>{board.totals.nps:+.1f} (promoters 2, passives 1, detractors 2)</td>" in html
    assert 'src="http' not in html and 'href="http' not in html and "@import" not in html  # nothing from elsewhere

    pdf_path = tmp_path / "report.pdf"
    result = _cxbot(database_url, "report", *period, "--format", "pdf", "--out", str(pdf_path))
    assert result.returncode == 0, result.stderr
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 4  # the summary and three pages of charts
    assert _cxbot(database_url, "report", "--format", "pdf").returncode != 0  # needs --out


def test_time_to_claim_is_read_from_the_desks_claims(session_factory, fixed):
    """Handled requests were claimed 7 minutes after they were made (tests/support/dashboard_data.py)."""
    with session_factory() as session:
        board = build_dashboard(session, Filters(SINCE, UNTIL))
    assert {e.reason: (e.claimed, e.median_minutes_to_claim) for e in board.escalations} == {
        "customer_request": (0, None),
        "nps_detractor": (1, 7.0),
        "repeated_fallback": (1, 7.0),
    }
