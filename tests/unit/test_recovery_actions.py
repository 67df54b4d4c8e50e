"""Service recovery actions against a real database: apology, details, offer, issue once."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.assistant.actions.action_acknowledge_complaint import ActionAcknowledgeComplaint
from bot.assistant.actions.action_cancel_recovery import ActionCancelRecovery
from bot.assistant.actions.action_choose_remedy import ActionChooseRemedy
from bot.assistant.actions.action_decline_compensation import ActionDeclineCompensation
from bot.assistant.actions.action_issue_compensation import ActionIssueCompensation
from bot.assistant.actions.action_offer_compensation import ActionOfferCompensation
from bot.assistant.actions.validate_recovery_form import ValidateRecoveryForm
from bot.storage.models import Compensation, Conversation, HandoffRequest, RecoveryCase
from tests.support.actions import action, form_reply, run, slots_of, user
from tests.support.content import project_content

pytestmark = pytest.mark.usefixtures("installed_action_context")

FORM = "recovery_form"


def complaint(category: str, text: str, entities=()) -> list[dict]:
    return [user(f"complain_{category}", text=text, entities=entities)]


def cases(session_factory) -> list[RecoveryCase]:
    with session_factory() as session:
        return session.execute(select(RecoveryCase).order_by(RecoveryCase.id)).scalars().all()


def choice(value: str) -> dict:
    """The customer taps "Send a replacement" or "Refund the item"."""
    payload = f'/choose_remedy{{"remedy_choice":"{value}"}}'
    return user("choose_remedy", text=payload, entities=[{"entity": "remedy_choice", "value": value}])


async def open_case(category="late_delivery", text="my parcel is late") -> str:
    result, _ = await run(ActionAcknowledgeComplaint, complaint(category, text))
    return slots_of(result)["recovery_case_id"]


async def test_a_complaint_is_acknowledged_by_severity_and_opens_a_case(session_factory, conversation):
    text = "This is the third time my order 4829173 is late, unacceptable"
    result, messages = await run(
        ActionAcknowledgeComplaint,
        complaint("late_delivery", text, entities=[{"entity": "order_number", "value": "4829173"}]),
    )
    assert messages[0]["response"] == "utter_apologise_high"
    assert messages[0]["complaint_label"] == "the late delivery"
    slots = slots_of(result)
    assert slots["complaint_category"] == "late_delivery"
    assert slots["order_number"] == "4829173"
    assert slots["complaint_description"] == text  # long enough: not asked again
    [case] = cases(session_factory)
    assert (case.source, case.category, case.severity, case.status, case.order_number) == (
        "complaint",
        "late_delivery",
        "high",
        "open",
        "4829173",
    )
    assert str(case.id) == slots["recovery_case_id"]


async def test_a_short_mild_complaint_is_low_severity_and_asks_for_details(session_factory, conversation):
    result, messages = await run(ActionAcknowledgeComplaint, complaint("website_problem", "the site is slow"))
    assert messages[0]["response"] == "utter_apologise_low"
    assert slots_of(result)["complaint_description"] is None
    assert slots_of(result)["order_number"] is None


def form_turn(text: str, intent: str = "nlu_fallback", requested: str = "order_number", reasks: int = 0):
    return form_reply(FORM, text, intent, {"requested_slot": requested, "recovery_reasks": reasks})


@pytest.mark.parametrize(
    "text, intent, expected",
    [
        ("it's 10045678", "nlu_fallback", "10045678"),
        ("#4829173", "nlu_fallback", "4829173"),
        ("I don't have it", "deny", "unknown"),
        ("/no_order_number", "no_order_number", "unknown"),
        ("no idea, sorry", "nlu_fallback", "unknown"),
    ],
)
async def test_the_order_number_is_read_or_let_go(text, intent, expected):
    result, _ = await run(ValidateRecoveryForm, **form_turn(text, intent))
    assert slots_of(result)["order_number"] == expected


async def test_a_wrong_order_number_is_asked_again_twice_then_let_go():
    first, _ = await run(ValidateRecoveryForm, **form_turn("abc", reasks=0))
    second, _ = await run(ValidateRecoveryForm, **form_turn("12", reasks=1))
    third, _ = await run(ValidateRecoveryForm, **form_turn("?", reasks=2))
    assert slots_of(first) == {"recovery_reasks": 1}
    assert slots_of(second) == {"recovery_reasks": 2}
    assert slots_of(third) == {"order_number": "unknown", "recovery_reasks": 0}


@pytest.mark.parametrize("intent", ["cancel", "request_human", "faq"])
async def test_never_mind_a_person_or_a_question_leave_the_form(intent):
    result, _ = await run(ValidateRecoveryForm, **form_turn("never mind", intent))
    assert result == [
        {"event": "action_execution_rejected", "timestamp": None, "name": FORM, "policy": None, "confidence": None}
    ]


async def test_the_description_takes_any_prose_but_not_a_button():
    prose, _ = await run(
        ValidateRecoveryForm, **form_turn("the box was crushed", "complain_damaged_item", "complaint_description")
    )
    button, _ = await run(ValidateRecoveryForm, **form_turn("/affirm", "affirm", "complaint_description"))
    assert slots_of(prose)["complaint_description"] == "the box was crushed"
    assert "complaint_description" not in slots_of(button)


async def test_the_offer_follows_the_policy_and_waits_for_an_answer(session_factory, conversation):
    case_id = await open_case("late_delivery", "my parcel is late")
    _, messages = await run(
        ActionOfferCompensation, [user("nlu_fallback")], slots={"recovery_case_id": case_id, "order_number": "4829173"}
    )
    assert "free delivery on your next order" in messages[0]["text"]
    assert [b["payload"] for b in messages[0]["buttons"]] == ["/accept_offer", "/decline_offer"]
    [case] = cases(session_factory)
    assert (case.status, case.order_number) == ("offered", "4829173")


async def test_accepting_twice_issues_exactly_one_coupon(session_factory, conversation):
    case_id = await open_case("late_delivery", "my parcel is late")
    await run(ActionOfferCompensation, [user("nlu_fallback")], slots={"recovery_case_id": case_id})
    result, first = await run(ActionIssueCompensation, [user("accept_offer", text="/accept_offer")])
    _, second = await run(ActionIssueCompensation, [user("accept_offer", text="/accept_offer")])
    with session_factory() as session:
        [row] = session.execute(select(Compensation)).scalars().all()
        state = session.execute(select(Conversation.state)).scalar_one()
    assert row.status == "issued" and row.kind == "free_delivery"
    assert row.code in first[0]["text"] and row.code in second[0]["text"]
    assert second[0]["text"] == project_content().recovery.message(
        "already_issued", offer="free delivery on your next order", code=row.code
    )
    assert cases(session_factory)[0].status == "recovered"
    assert slots_of(result) == {"survey_trigger": "recovery"}
    assert state == "bot"


async def test_an_offer_above_the_approval_limit_waits_for_a_person(session_factory, conversation):
    # High severity: a partial refund of 25.00 EUR as goodwill, after the remedy the customer chose.
    case_id = await open_case("missing_item", "the lamp is missing from my parcel again, unacceptable")
    await run(ActionOfferCompensation, [user("nlu_fallback")], slots={"recovery_case_id": case_id})
    await run(ActionChooseRemedy, [choice("replacement")])
    _, messages = await run(ActionIssueCompensation, [user("affirm", text="yes")])
    with session_factory() as session:
        row = session.execute(select(Compensation).where(Compensation.purpose == "goodwill")).scalar_one()
        handoffs = session.execute(select(HandoffRequest.reason)).scalars().all()
        state = session.execute(select(Conversation.state)).scalar_one()
    assert row.status == "pending_approval"
    assert "a person on our team must confirm" in messages[0]["text"]
    assert handoffs == ["compensation_approval"] and state == "awaiting_human"
    assert cases(session_factory)[0].status == "pending_approval"


async def test_the_cap_sends_the_customer_to_a_person_instead_of_an_offer(session_factory, conversation):
    for _ in range(2):  # the policy allows two per 90 days
        case_id = await open_case("late_delivery", "late again")
        await run(ActionOfferCompensation, [user("nlu_fallback")], slots={"recovery_case_id": case_id})
        await run(ActionIssueCompensation, [user("accept_offer")])
    case_id = await open_case("late_delivery", "late again")
    _, messages = await run(ActionOfferCompensation, [user("nlu_fallback")], slots={"recovery_case_id": case_id})
    assert "passed this to a person" in messages[0]["text"]
    assert "buttons" not in messages[0] or not messages[0]["buttons"]
    with session_factory() as session:
        assert session.execute(select(HandoffRequest.reason)).scalar_one() == "compensation_cap"
        assert len(session.execute(select(Compensation)).scalars().all()) == 2
    assert cases(session_factory)[-1].status == "escalated"


async def test_the_cap_reached_between_offer_and_accept_also_sends_the_customer_to_a_person(
    session_factory, conversation
):
    from feedback.compensation import issue

    case_id = await open_case("late_delivery", "late again")
    await run(ActionOfferCompensation, [user("nlu_fallback")], slots={"recovery_case_id": case_id})
    policy = project_content().compensation
    with session_factory.begin() as session:
        for key in ("elsewhere-1", "elsewhere-2"):  # issued meanwhile: the policy allows two per 90 days
            issue(
                session,
                policy=policy,
                conversation_id=conversation,
                category="late_delivery",
                severity="low",
                reason="earlier",
                idempotency_key=key,
            )
    result, messages = await run(ActionIssueCompensation, [user("accept_offer")])
    assert "passed this to a person" in messages[0]["text"]
    assert slots_of(result) == {"survey_trigger": "recovery"}
    with session_factory() as session:
        assert session.execute(select(HandoffRequest.reason)).scalar_one() == "compensation_cap"
        assert len(session.execute(select(Compensation)).scalars().all()) == 2
    assert cases(session_factory)[-1].status == "escalated"


async def test_declining_is_recorded_and_issues_nothing(session_factory, conversation):
    case_id = await open_case()
    await run(ActionOfferCompensation, [user("nlu_fallback")], slots={"recovery_case_id": case_id})
    result, messages = await run(ActionDeclineCompensation, [user("decline_offer")])
    assert messages[0]["response"] == "utter_compensation_declined"
    assert cases(session_factory)[0].status == "declined"
    with session_factory() as session:
        assert session.execute(select(Compensation)).first() is None


async def test_accept_without_an_offer_says_so(session_factory, conversation):
    _, messages = await run(ActionIssueCompensation, [user("accept_offer")])
    assert messages[0]["response"] == "utter_no_open_offer"


async def test_never_mind_cancels_the_case_and_stops_the_form(session_factory, conversation):
    case_id = await open_case()
    result, messages = await run(ActionCancelRecovery, [user("cancel")], slots={"recovery_case_id": case_id})
    assert messages[0]["response"] == "utter_recovery_cancelled"
    assert {"event": "active_loop", "timestamp": None, "name": None} in result
    assert cases(session_factory)[0].status == "cancelled"


async def test_the_form_does_not_reread_a_message_meant_for_a_digression():
    """Back from an FAQ answered mid-form, the FAQ question is not an order number: no rejection."""
    events = [action("action_listen"), user("faq", text="how long do refunds take?"), action("utter_faq")]
    result, _ = await run(ValidateRecoveryForm, events, slots={"requested_slot": "order_number"}, active_loop=FORM)
    assert result == []
