"""End to end: a widget customer (headless Chromium) reaches a staff member signed in to the
console in a second browser context, who claims, answers and hands back to the bot."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import yaml
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Conversation, Customer, HandoffRequest, Message, SurveyResponse, utcnow
from tests.support.browser import bubble, say, sign_in
from tests.support.desk_helpers import add_staff, cxbot_user
from tests.support.e2e_server import started_server

XSS = "<img src=x onerror=alert(1)><script>window.__xss=1</script>"
CONTENT = yaml.safe_load(open("content/surveys.yml", encoding="utf-8"))
CES_QUESTION = CONTENT["surveys"]["ces"]["question"]
HOLDING = yaml.safe_load(open("content/escalation.yml", encoding="utf-8"))["messages"]["holding"]


@pytest.fixture(scope="module")
def server(model_path, tmp_path_factory):
    with started_server(tmp_path_factory.mktemp("desk")) as running:
        add_staff(running, "ana", "Ana")
        add_staff(running, "ben", "Ben")
        yield running


def widget_messages(db: Session, sender: str) -> list[tuple[str, str]]:
    db.expire_all()
    return [
        (m.direction, m.text)
        for m in db.execute(
            select(Message)
            .join(Conversation)
            .join(Customer)
            .where(Customer.channel == "widget", Customer.external_id == sender)
            .order_by(Message.id)
        ).scalars()
    ]


def test_the_console_refuses_anonymous_visitors(server, open_page):
    page = open_page()
    page.goto(server.url + "/desk/conversations/1")
    expect(page).to_have_url(re.compile("/desk/login$"))
    page.get_by_label("User name").fill("ana")
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")


def test_widget_customer_reaches_a_person_who_answers_and_hands_back(server, open_page, db):
    customer = open_page()
    # Ana is on the queue page before the customer asks: the row must arrive without a reload.
    ana = open_page()
    sign_in(ana, server, "ana")
    expect(ana.get_by_text("Nobody is waiting for a person.")).to_be_visible()

    customer.goto(server.url + "/")
    customer.get_by_role("button", name=re.compile("^Open chat")).click()
    say(customer, "/human")
    expect(customer.locator(".log .msg.bot .bubble").filter(has_text="person from our team")).to_be_visible()
    sender = "visitor:" + customer.evaluate("localStorage.getItem('cxbot-widget:visitor')")

    say(customer, XSS)  # waiting: stored for the person, never answered by the bot
    row = ana.locator("table.queue tbody tr").first
    expect(row).to_contain_text("customer request")
    expect(row).to_contain_text("widget")
    expect(row).to_contain_text(XSS)  # as text: the markup is shown, not run
    assert ana.evaluate("window.__xss") is None

    # A second staff member, in another browser context, loses the race for the claim.
    ben = open_page()
    sign_in(ben, server, "ben")
    ben.locator("table.queue tbody tr a").first.click()
    claim_url = ben.locator("form[action$='/claim']").get_attribute("action")

    row.locator("a").click()
    expect(ana.locator("#transcript")).to_contain_text(XSS)
    expect(ana.locator(".meta")).to_contain_text("Channel: widget")
    expect(ana.locator(".meta")).to_contain_text("Language:")
    ana.get_by_role("button", name="Claim").click()
    expect(ana.get_by_label(re.compile("^Reply to"))).to_be_visible()
    expect(ana.get_by_label(re.compile("^Reply to"))).to_be_focused()
    expect(ana.get_by_label(re.compile("^Reply to"))).to_be_in_viewport()
    expect(customer.locator(".log .marker").filter(has_text="A team member (Ana) has joined")).to_be_visible()

    # Ben's page learns live that Ana has it; a claim sent from his stale page is refused, naming her.
    expect(ben.locator("#transcript .state")).to_have_text("With Ana")
    status, text = ben.evaluate(
        """([url, token]) => fetch(url, {method: "POST", headers: {"X-CSRF-Token": token}})
             .then(r => r.text().then(t => [r.status, t]))""",
        [claim_url, ben.locator("meta[name=csrf-token]").get_attribute("content")],
    )
    assert status == 409 and "Ana already has this conversation" in text

    ana.get_by_label(re.compile("^Reply to")).fill("Hi, I'm Ana. Let me look at your order.")
    ana.get_by_role("button", name="Send").click()
    expect(bubble(customer, "agent", "Hi, I'm Ana. Let me look at your order.")).to_be_visible()

    say(customer, "It's order 1234567, still not here")
    expect(ana.locator("#transcript")).to_contain_text("It's order 1234567, still not here")  # live, no reload

    ana.get_by_role("button", name="Resolve and hand back to the bot").click()
    expect(customer.locator(".log .marker").filter(has_text="A team member (Ana) has left")).to_be_visible()
    expect(customer.locator(".log .msg.bot .bubble").filter(has_text=CES_QUESTION)).to_be_visible()
    assert customer.evaluate("window.__xss") is None and not customer.dialogs and not ana.dialogs

    stored = widget_messages(db, sender)
    handed = stored.index(("agent", "A team member (Ana) has joined"))
    left = stored.index(("agent", "A team member (Ana) has left"))
    # Between joining and leaving, the customer heard only from Ana: no bot reply, nothing lost.
    assert [d for d, _ in stored[handed:left]] == ["agent", "agent", "customer"]
    assert ("customer", XSS) in stored[:handed] and ("customer", "It's order 1234567, still not here") in stored
    # While queued the bot only said, once, that the message was added to the request.
    assert stored[handed - 2 : handed] == [("customer", XSS), ("bot", HOLDING)]
    db.expire_all()
    handoff = db.execute(select(HandoffRequest)).scalars().all()[-1]
    assert handoff.status == "resolved"
    survey = db.execute(
        select(SurveyResponse).where(SurveyResponse.conversation_id == handoff.conversation_id)
    ).scalar_one()
    assert (survey.kind, survey.handled_by) == ("ces", "ana")

    # The bot has the conversation again: the survey answer goes to it.
    customer.locator(".log .buttons button").filter(has_text="Very easy").click()
    expect(customer.locator(".log .msg").last).to_have_class(re.compile(r"\bbot\b"))
    db.expire_all()
    survey = db.execute(select(SurveyResponse).where(SurveyResponse.id == survey.id)).scalar_one()
    assert (survey.status, survey.answer) == ("answered", "very_easy")


def test_cxbot_user_list_and_disable(server):
    listing = cxbot_user(server, "list")
    assert "ana\tAna\tagent\tactive" in listing
    add_staff(server, "tmp", "Tim")
    cxbot_user(server, "disable", "tmp")
    assert "tmp\tTim\tagent\tdisabled" in cxbot_user(server, "list")


def test_a_manager_signs_in_and_reads_the_dashboard_which_an_agent_cannot_open(server, open_page, tmp_path):
    add_staff(server, "mia", "Mia", role="manager")
    manager = open_page()
    sign_in(manager, server, "mia")
    manager.goto(server.url + "/dashboard")
    expect(manager.get_by_role("heading", level=1)).to_be_visible()
    charts = manager.locator("svg")
    expect(charts.first).to_be_visible()
    assert charts.count() >= 10
    sizes = manager.evaluate("[...document.querySelectorAll('svg')].map(s => s.getBoundingClientRect().width)")
    assert all(width > 0 for width in sizes)
    assert "NPS = % promoters" in manager.content()  # formulas are on the page
    manager.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000

    agent = open_page()
    sign_in(agent, server, "ana")
    response = agent.goto(server.url + "/dashboard")
    assert response.status == 403


def _returning_customer(db: Session) -> int:
    """A widget customer (language fa) with a conversation two days ago and, now, a long one that
    waits for a person and ends with a button tap; returns the current conversation's id."""
    now = utcnow()
    customer = Customer(channel="widget", external_id="visitor:returning", first_seen=now, last_seen=now, locale="fa")
    db.add(customer)
    db.flush()
    before = now - timedelta(days=2)
    past = Conversation(customer_id=customer.id, channel="widget", started_at=before, last_activity_at=before)
    past.ended_at = before
    current = Conversation(customer_id=customer.id, channel="widget", state="awaiting_human", started_at=now)
    db.add_all([past, current])
    db.flush()
    db.add(Message(conversation_id=past.id, direction="customer", text="my coupon did not work", created_at=before))
    for number in range(30):  # longer than the transcript's box
        db.add(Message(conversation_id=current.id, direction="customer", text=f"message {number}", created_at=now))
    db.add(
        Message(
            conversation_id=current.id,
            direction="customer",
            text='/survey_answer{"survey_value":"nps:6"}',
            button_title="6",
            created_at=now,
        )
    )
    db.add(HandoffRequest(conversation_id=current.id, reason="customer_request", created_at=now))
    db.commit()
    return current.id


def test_the_conversation_view_folds_earlier_conversations_and_keeps_the_newest_and_the_action_in_view(
    server, open_page, db, tmp_path
):
    conversation_id = _returning_customer(db)
    ana = open_page()
    sign_in(ana, server, "ana")
    ana.goto(f"{server.url}/desk/conversations/{conversation_id}")
    expect(ana.locator(".meta")).to_contain_text("Channel: widget")
    expect(ana.locator(".meta")).to_contain_text("Language: fa")
    # On opening: the newest message in view (its box scrolled to the end), as a title, and Claim too.
    newest = ana.locator("#transcript .transcript li").last
    expect(newest).to_be_in_viewport()
    expect(newest.locator(".text")).to_have_text("6")
    assert "survey_answer" not in ana.locator("#transcript").inner_text()
    expect(ana.get_by_role("button", name="Claim")).to_be_in_viewport()
    expect(ana.get_by_role("button", name="Claim")).to_be_focused()
    ana.screenshot(path=str(tmp_path / "conversation.png"))
    earlier = ana.locator("details.earlier")
    expect(earlier).to_have_count(1)
    expect(earlier.locator("summary")).to_contain_text("Earlier conversation")
    expect(earlier.get_by_text("my coupon did not work")).to_be_hidden()  # folded
    earlier.locator("summary").click()
    expect(earlier.get_by_text("my coupon did not work")).to_be_visible()
