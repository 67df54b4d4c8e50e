"""End to end over HTTP: each complaint is answered with its remedy first, then the goodwill where
the policy allows it; the ledger and the staff desk's notes record both."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from bot.storage.models import Compensation, Conversation, Customer, HandoffRequest, RecoveryCase, StaffNote
from tests.support.e2e_server import started_server


@pytest.fixture(scope="module")
def server(model_path, tmp_path_factory):
    with started_server(tmp_path_factory.mktemp("e2e-remedies")) as running:
        yield running


def send(server, sender: str, message: str) -> list[dict]:
    response = requests.post(
        f"{server.url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60
    )
    assert response.status_code == 200, response.text
    return response.json()


def payload(replies, title: str) -> str:
    for reply in replies:
        for button in reply.get("buttons") or ():
            if button["title"] == title:
                return button["payload"]
    raise AssertionError(f"no button {title!r} in {replies}")


def of(db, model, sender: str):
    query = select(model).join(Conversation, Conversation.id == model.conversation_id).join(Customer)
    return db.execute(query.where(Customer.external_id == sender).order_by(model.id)).scalars().all()


def test_a_double_charge_is_refunded_before_any_coupon(server, db):
    send(server, "dora", "I was charged twice for the same order, 12.50 EUR both times")
    offer = send(server, "dora", "4829173")
    text = offer[0]["text"]
    assert text.index("The overcharge of 12.50 EUR will be refunded to your card within 3-5 working days") < text.index(
        "Would you like that?"
    )
    send(server, "dora", payload(offer, "Yes, please"))
    ledger = [(r.purpose, r.kind, r.amount_cents, r.status) for r in of(db, Compensation, "dora")]
    assert ledger == [
        ("remedy", "overcharge_refund", 1250, "issued"),
        ("goodwill", "coupon_percent", None, "issued"),
    ]


def test_a_broken_item_is_refunded_as_chosen_and_the_refund_waits_for_a_person(server, db):
    send(server, "emil", "the vase I ordered arrived broken into three pieces")
    choice = send(server, "emil", "4829173")
    assert "replacement or refund the item" in choice[0]["text"]
    offer = send(server, "emil", payload(choice, "Refund the item"))
    assert "checks what you paid for it" in offer[0]["text"] and "Would you like that?" in offer[0]["text"]
    declined = send(server, "emil", payload(offer, "No, thanks"))
    assert len(declined) >= 2  # the declined goodwill, then the person who approves the refund
    ledger = [(r.purpose, r.kind, r.amount_cents, r.status) for r in of(db, Compensation, "emil")]
    assert ledger == [("remedy", "item_refund", None, "pending_approval")]
    assert [h.reason for h in of(db, HandoffRequest, "emil")] == ["compensation_approval"]


def test_rude_staff_is_reported_to_the_team_lead_without_a_coupon(server, db):
    send(server, "fynn", "the courier was really rude to me and shouted at me at the door")
    reply = send(server, "fynn", "4829173")
    assert "passed your report to our team lead" in reply[0]["text"]
    assert not any(r.get("buttons") for r in reply)
    assert of(db, Compensation, "fynn") == []
    [case] = of(db, RecoveryCase, "fynn")
    assert (case.category, case.remedy, case.status) == ("rude_staff", "staff_report", "recovered")
    assert [n.text.startswith("Staff report for the team lead") for n in of(db, StaffNote, "fynn")] == [True]
