"""End to end over HTTP: a complaint ends in an apology and one coupon, then CES and NPS by button
and text, a detractor reaches a person, and `cxbot report` shows it all with formulas."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from bot.storage.models import Compensation, Conversation, HandoffRequest, RecoveryCase, SurveyResponse
from tests.support.domain_texts import DOMAIN
from tests.support.e2e_server import started_server


def apologies() -> set[str]:
    return {
        r["text"].split("{", 1)[0]
        for level in ("low", "medium", "high")
        for r in DOMAIN.responses[f"utter_apologise_{level}"]
    }


@pytest.fixture(scope="module")
def server(model_path, tmp_path_factory):
    with started_server(tmp_path_factory.mktemp("e2e-recovery")) as running:
        yield running


def send(server, sender: str, message: str, **extra) -> list[dict]:
    response = requests.post(
        f"{server.url}/webhooks/rest/webhook", json={"sender": sender, "message": message, **extra}, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.json()


def texts(replies) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def payload(replies, title: str) -> str:
    for reply in replies:
        for button in reply.get("buttons") or ():
            if button["title"] == title:
                return button["payload"]
    raise AssertionError(f"no button {title!r} in {replies}")


def test_complaint_to_one_coupon_then_ces_and_nps_and_a_report(server, db):
    first = send(server, "anna", "my parcel is three weeks late and nobody answers")
    assert any(first[0]["text"].startswith(a) for a in apologies()) and "late delivery" in first[0]["text"]
    assert "order number" in first[1]["text"]
    offer = send(server, "anna", "sure, it's 4829173")
    assert "Would you like that?" in offer[0]["text"]
    accept = payload(offer, "Yes, please")
    issued = send(server, "anna", accept, message_id="tap-1")
    assert send(server, "anna", accept, message_id="tap-1") == issued  # the same request retried
    again = send(server, "anna", accept, message_id="tap-2")  # the button tapped a second time
    assert "You already have this" in again[0]["text"]
    assert "How easy was it" in texts(issued)
    nps_question = send(server, "anna", payload(issued, "Easy"))
    assert "how likely are you to recommend us" in texts(nps_question)
    reason_question = send(server, "anna", "nine")  # typed, not tapped
    assert "main reason for your score" in texts(reason_question)
    thanks = send(server, "anna", "you fixed it quickly and kindly")
    assert "Thank you" in texts(thanks)

    coupons = db.execute(select(Compensation)).scalars().all()
    case = db.execute(select(RecoveryCase)).scalar_one()
    answers = {s.kind: s for s in db.execute(select(SurveyResponse)).scalars()}
    assert len(coupons) == 1 and coupons[0].code in texts(issued)
    assert (coupons[0].kind, coupons[0].percent, coupons[0].status) == ("coupon_percent", 20, "issued")
    assert (case.category, case.severity, case.order_number, case.status) == (
        "late_delivery",
        "high",
        "4829173",
        "recovered",
    )
    assert (answers["ces"].answer, answers["ces"].score) == ("easy", 1)
    assert (answers["nps"].score, answers["nps"].comment) == (9, "you fixed it quickly and kindly")


def test_a_detractor_is_escalated_with_a_reason(server, db):
    send(server, "ben", "how long does delivery take?")
    ces_question = send(server, "ben", "/affirm")
    assert "How easy was it" in texts(ces_question)
    send(server, "ben", "banana")  # not an answer: asked again
    next_question = send(server, "ben", "neutral")
    assert "How satisfied were you" in texts(next_question)  # delivery is an order topic: CSAT
    done = send(server, "ben", "7")
    assert "Thank you" in texts(done)
    send(server, "ben", "goodbye")  # two surveys already: no NPS, just goodbye

    send(server, "cara", "what payment methods do you accept?")
    send(server, "cara", "/deny")
    nps = send(server, "cara", "bye")
    assert "how likely are you to recommend us" in texts(nps)
    send(server, "cara", payload(nps, "2"))
    follow_up = send(server, "cara", "the checkout kept failing")
    assert "I've asked a person from our team" in texts(follow_up)
    assert send(server, "cara", "hello?") != []  # one holding note while waiting
    assert send(server, "cara", "anyone?") == []
    handoff = db.execute(
        select(HandoffRequest).join(Conversation).where(Conversation.customer.has(external_id="cara"))
    ).scalar_one()
    state = db.get(Conversation, handoff.conversation_id).state
    assert (handoff.reason, state) == ("nps_detractor", "awaiting_human")


def test_cxbot_report_shows_the_flows_with_formulas(server):
    env = {**os.environ, "CXBOT_DATABASE_URL": server.database_url}
    cxbot = Path(sys.executable).with_name("cxbot")
    result = subprocess.run(
        [str(cxbot), "report", "--format", "json"], env=env, capture_output=True, text=True, check=True
    )
    report = json.loads(result.stdout)
    assert report["compensations"] == 1 and report["percent_coupons"] == 1
    assert report["nps_promoters"] == 1 and report["nps_detractors"] == 1
    assert report["ces_distribution"] == {"easy": 1, "neutral": 1}
    assert report["csat"] == 7
    assert report["escalations_by_reason"]["nps_detractor"] == 1
    assert report["recovery"]["recovered"]["nps"] == 100.0
    assert report["recovery"]["no_complaint"]["nps"] == -100.0
    table = subprocess.run([str(cxbot), "report"], env=env, capture_output=True, text=True, check=True).stdout
    assert "NPS = % promoters (9-10) - % detractors (0-6)" in table
    assert "recovery effectiveness" in table
