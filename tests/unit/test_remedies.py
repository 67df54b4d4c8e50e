"""The remedy comes first, per complaint category, then the goodwill where the policy allows it:
the actions against a real database, the ledger rows and their statuses, approval above the limit."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from bot.assistant.actions.action_acknowledge_complaint import ActionAcknowledgeComplaint
from bot.assistant.actions.action_choose_remedy import ActionChooseRemedy
from bot.assistant.actions.action_decline_compensation import ActionDeclineCompensation
from bot.assistant.actions.action_issue_compensation import ActionIssueCompensation
from bot.assistant.actions.action_offer_compensation import ActionOfferCompensation
from bot.desk.auth import add_user
from bot.desk.compensations import decide
from bot.desk.views import conversation_view
from bot.storage.models import Compensation, Conversation, HandoffRequest, RecoveryCase, StaffNote
from feedback import recovery_steps
from feedback.remedy_policy import Remedy
from tests.support.actions import run, slots_of, user
from tests.support.content import action_context, handoff_wording, project_content

pytestmark = pytest.mark.usefixtures("installed_action_context")

OFFER_BUTTONS = ["/accept_offer", "/decline_offer"]
CHOICE_BUTTONS = ['/choose_remedy{"remedy_choice":"replacement"}', '/choose_remedy{"remedy_choice":"refund"}']


def choice(value: str) -> dict:
    payload = f'/choose_remedy{{"remedy_choice":"{value}"}}'
    return user("choose_remedy", text=payload, entities=[{"entity": "remedy_choice", "value": value}])


async def complain(category: str, text: str, order: str = "4829173") -> list[dict]:
    """The complaint acknowledged and its details given: what the bot says next."""
    acknowledged, _ = await run(ActionAcknowledgeComplaint, [user(f"complain_{category}", text=text)])
    slots = slots_of(acknowledged)
    _, messages = await run(
        ActionOfferCompensation,
        [user("nlu_fallback", text=order)],
        slots={"recovery_case_id": slots["recovery_case_id"], "order_number": order, "complaint_description": text},
    )
    return messages


def ledger(session_factory) -> list[tuple]:
    with session_factory() as session:
        rows = session.execute(select(Compensation).order_by(Compensation.id)).scalars().all()
        return [(r.purpose, r.kind, r.amount_cents, r.percent, r.status) for r in rows]


def the_case(session_factory) -> RecoveryCase:
    with session_factory() as session:
        return session.execute(select(RecoveryCase)).scalar_one()


def notes(session_factory) -> list[str]:
    with session_factory() as session:
        return list(session.execute(select(StaffNote.text)).scalars())


def handoffs(session_factory) -> list[str]:
    with session_factory() as session:
        return list(session.execute(select(HandoffRequest.reason)).scalars())


def remedy(key: str, **values) -> str:
    return project_content().recovery.remedy(key, **values)


async def test_a_double_charge_is_refunded_first_then_the_goodwill(session_factory, conversation):
    messages = await complain("billing_error", "I was charged twice for the same order, 12.50 EUR each time")
    [(purpose, kind, amount, _, status)] = ledger(session_factory)
    assert (purpose, kind, amount, status) == ("remedy", "overcharge_refund", 1250, "issued")
    code = _code(session_factory, 0)
    said = remedy("overcharge_refund", amount="12.50 EUR", days="3-5", days_from=3, days_to=5, code=code)
    assert said == (
        f"The overcharge of 12.50 EUR will be refunded to your card within 3-5 working days (reference {code})."
    )
    text = messages[0]["text"]
    assert text.startswith(said) and text.index(said) < text.index("a 15% discount on your next order")
    assert [b["payload"] for b in messages[0]["buttons"]] == OFFER_BUTTONS
    await run(ActionIssueCompensation, [user("accept_offer", text="/accept_offer")])
    assert ledger(session_factory) == [
        ("remedy", "overcharge_refund", 1250, None, "issued"),
        ("goodwill", "coupon_percent", None, 15, "issued"),
    ]
    case = the_case(session_factory)
    assert (case.remedy, case.stated_amount_cents, case.status) == ("refund_overcharge", 1250, "recovered")
    assert handoffs(session_factory) == []


async def test_a_double_charge_declined_coupon_still_gets_its_refund(session_factory, conversation):
    await complain("billing_error", "charged twice: 12.50 EUR taken two times for one order")
    await run(ActionDeclineCompensation, [user("decline_offer")])
    assert ledger(session_factory) == [("remedy", "overcharge_refund", 1250, None, "issued")]


def _code(session_factory, index: int) -> str:
    with session_factory() as session:
        return session.execute(select(Compensation.code).order_by(Compensation.id)).scalars().all()[index]


async def test_a_refund_above_the_approval_limit_waits_for_a_person_after_the_goodwill(session_factory, conversation):
    messages = await complain("billing_error", "You charged my card twice, the second charge of 49.90 EUR is wrong")
    assert "49.90 EUR" in messages[0]["text"] and "a person on our team confirms it first" in messages[0]["text"]
    assert handoffs(session_factory) == []  # the goodwill buttons still reach the bot
    _, answered = await run(ActionIssueCompensation, [user("accept_offer", text="/accept_offer")])
    assert ledger(session_factory) == [
        ("remedy", "overcharge_refund", 4990, None, "pending_approval"),
        ("goodwill", "coupon_percent", None, 15, "issued"),
    ]
    assert handoffs(session_factory) == ["compensation_approval"]
    assert len(answered) == 2 and answered[1]["text"]  # the issued coupon, then the handoff
    with session_factory.begin() as session:
        staff = add_user(session, username="lea", display_name="Lea", password="a long password", role="manager")
        row = session.execute(select(Compensation).where(Compensation.purpose == "remedy")).scalar_one()
        decision = decide(
            session,
            row.id,
            staff,
            approve=True,
            wording=handoff_wording()["desk"].messages,
            recovery=project_content().recovery,
        )
    assert "a refund of the overcharge to your card has been approved" in decision.customer_text
    assert ledger(session_factory)[0][-1] == "issued"


async def test_without_an_amount_the_refund_is_recorded_for_a_person_and_no_amount_is_invented(
    session_factory, conversation
):
    messages = await complain("billing_error", "I was charged twice for the same order!!")
    [(purpose, kind, amount, _, status)] = ledger(session_factory)
    assert (purpose, kind, amount, status) == ("remedy", "overcharge_refund", None, "pending_approval")
    remedy_text = messages[0]["text"].split("\n\n")[0]
    assert "checks the amount charged" in remedy_text and "EUR" not in remedy_text
    assert not any(ch.isdigit() for ch in remedy_text.replace(_code(session_factory, 0), "").replace("3-5", ""))


async def test_an_amount_in_persian_digits_is_read(session_factory, conversation):
    await complain("billing_error", "دو بار از کارتم ۴۹٫۹۰ یورو کم شد")
    assert ledger(session_factory)[0][:3] == ("remedy", "overcharge_refund", 4990)


@pytest.mark.parametrize(
    "category, pick, kind, status, prepaid",
    [
        ("damaged_item", "replacement", "replacement", "pending_approval", False),
        ("damaged_item", "refund", "item_refund", "pending_approval", False),
        ("wrong_item", "replacement", "replacement", "pending_approval", True),
        ("missing_item", "refund", "item_refund", "pending_approval", False),
    ],
)
async def test_an_item_problem_lets_the_customer_choose_then_offers_goodwill(
    session_factory, conversation, category, pick, kind, status, prepaid
):
    asked = await complain(category, "the thing I ordered is not what it should be at all")
    assert asked[0]["text"] == remedy("choose")
    assert [b["payload"] for b in asked[0]["buttons"]] == CHOICE_BUTTONS
    assert ledger(session_factory) == []
    _, messages = await run(ActionChooseRemedy, [choice(pick)])
    _, again = await run(ActionChooseRemedy, [choice(pick)])  # a second tap changes nothing
    [(purpose, got_kind, amount, _, got_status)] = ledger(session_factory)
    assert (purpose, got_kind, amount, got_status) == ("remedy", kind, None, status)
    text = messages[0]["text"]
    assert (remedy("prepaid_return") in text) is prepaid
    assert "discount on your next order" in text and [b["payload"] for b in messages[0]["buttons"]] == OFFER_BUTTONS
    assert again[0]["text"] in text
    await run(ActionIssueCompensation, [user("accept_offer")])
    assert [row[0] for row in ledger(session_factory)] == ["remedy", "goodwill"]
    assert the_case(session_factory).remedy == kind
    assert handoffs(session_factory) == ["compensation_approval"]  # the remedy waits for a person


async def test_yes_to_the_choice_asks_the_choice_again(session_factory, conversation):
    await complain("damaged_item", "the vase arrived broken into pieces in the box")
    _, messages = await run(ActionIssueCompensation, [user("affirm", text="yes")])
    assert messages[0]["text"] == remedy("choose") and ledger(session_factory) == []


async def test_a_late_delivery_is_chased_and_flagged_then_goodwill(session_factory, conversation):
    messages = await complain("late_delivery", "my parcel is late")
    followed = remedy("delivery_follow_up", order="4829173")
    estimate = remedy("new_estimate", days="2-3", days_from=2, days_to=3)
    text = messages[0]["text"]
    assert text.index(followed) < text.index(estimate) < text.index("free delivery on your next order")
    assert ledger(session_factory) == []  # nothing to refund: no remedy row
    assert the_case(session_factory).remedy == "delivery_follow_up"
    assert any("ask the carrier about order 4829173" in note for note in notes(session_factory))


async def test_rude_staff_is_reported_to_the_team_lead_with_no_coupon(session_factory, conversation):
    text = "the man on your phone line shouted at me and hung up on me"
    messages = await complain("rude_staff", text)
    assert messages[0]["text"] == remedy("staff_report")
    assert not messages[0]["buttons"]
    assert ledger(session_factory) == []
    assert notes(session_factory) == [f"Staff report for the team lead (case {the_case(session_factory).id}): {text}"]
    case = the_case(session_factory)
    assert (case.remedy, case.status) == ("staff_report", "recovered")
    _, later = await run(ActionIssueCompensation, [user("accept_offer")])
    assert later[0]["response"] == "utter_no_open_offer" and ledger(session_factory) == []
    with session_factory() as session:  # the staff desk shows the report on the conversation
        view = conversation_view(session, conversation)
    assert [(author, note) for author, _, note in view.notes] == [("the bot", notes(session_factory)[0])]


async def test_a_website_problem_gets_the_workaround_and_another_way_to_order(session_factory, conversation):
    messages = await complain("website_problem", "the checkout page keeps failing when I pay")
    text = messages[0]["text"]
    assert text.index(remedy("workaround")) < text.index(remedy("other_route")) < text.index("Would you like that?")
    assert the_case(session_factory).remedy == "workaround"


async def test_other_complaints_are_followed_up_by_the_team(session_factory, conversation):
    messages = await complain("other", "nobody answers my emails about my account")
    assert messages[0]["text"].startswith(remedy("team_follow_up", days="1-2", days_from=1, days_to=2))
    assert the_case(session_factory).remedy == "team_follow_up" and len(notes(session_factory)) == 1


async def test_the_remedy_is_done_even_when_the_goodwill_cap_is_reached(session_factory, conversation):
    for _ in range(2):  # the policy allows two goodwill offers per 90 days
        await complain("late_delivery", "late again")
        await run(ActionIssueCompensation, [user("accept_offer")])
    messages = await complain("billing_error", "charged twice, 12.50 EUR")
    text = messages[0]["text"]
    assert text.startswith("The overcharge of 12.50 EUR") and "passed this to a person" in text
    assert [r[0] for r in ledger(session_factory)] == ["goodwill", "goodwill", "remedy"]
    assert ledger(session_factory)[-1][1:3] == ("overcharge_refund", 1250)
    with session_factory() as session:
        assert session.execute(select(Conversation.state)).scalar_one() == "awaiting_human"


async def test_a_remedy_only_refund_above_the_limit_goes_to_a_person_who_approves_it(session_factory, conversation):
    """A shop that marks billing errors remedy-only: the refund alone, its approval, no coupon."""
    content = project_content()
    policy = replace(
        content.compensation,
        remedies={**content.compensation.remedies, "billing_error": Remedy("refund_overcharge", False, (3, 5))},
    )
    acknowledged, _ = await run(
        ActionAcknowledgeComplaint, [user("complain_billing_error", text="charged twice, 49.90 EUR")]
    )
    with session_factory.begin() as session:
        conv = session.get(Conversation, conversation)
        outcome = recovery_steps.make_offer(
            session,
            content.recovery,
            policy,
            conversation=conv,
            case_id=slots_of(acknowledged)["recovery_case_id"],
            order_number="4829173",
            description=None,
            handover=action_context().handover(),
        )
    assert outcome.step == recovery_steps.Step.REMEDIED and "a person on our team confirms it" in outcome.remedy
    assert outcome.handoff and handoffs(session_factory) == ["compensation_approval"]
    assert ledger(session_factory) == [("remedy", "overcharge_refund", 4990, None, "pending_approval")]
    assert the_case(session_factory).status == "pending_approval"
    with session_factory.begin() as session:
        staff = add_user(session, username="mo", display_name="Mo", password="a long password", role="manager")
        row_id = session.execute(select(Compensation.id)).scalar_one()
        decide(session, row_id, staff, approve=True, wording=content.desk.messages, recovery=content.recovery)
    assert ledger(session_factory)[0][-1] == "issued"
    assert the_case(session_factory).status == "recovered"  # closed by the approval of its remedy
