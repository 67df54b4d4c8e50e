"""Survey actions against a real database: when to ask, reading answers, recording them once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.assistant.actions.action_ask_survey_answer import ActionAskSurveyAnswer
from bot.assistant.actions.action_late_survey_answer import ActionLateSurveyAnswer
from bot.assistant.actions.action_offer_survey import ActionOfferSurvey
from bot.assistant.actions.action_submit_survey import ActionSubmitSurvey
from bot.assistant.actions.support.surveys import buttons as survey_buttons
from bot.assistant.actions.validate_survey_form import UNANSWERED, ValidateSurveyForm
from bot.storage.models import Conversation, HandoffRequest, RecoveryCase, SurveyResponse, utcnow
from feedback.surveys import plan as survey_plan
from feedback.surveys import records as surveys
from feedback.surveys.plan import SKIPPED, next_survey
from tests.support.actions import form_reply, run, slots_of, user
from tests.support.content import project_content

pytestmark = pytest.mark.usefixtures("installed_action_context")

FORM = "survey_form"
REJECTED = {"event": "action_execution_rejected", "timestamp": None, "name": FORM, "policy": None, "confidence": None}


def rows(session_factory) -> list[tuple]:
    with session_factory() as session:
        return [
            (s.kind, s.status, s.score, s.answer, s.comment, s.handled_by)
            for s in session.execute(select(SurveyResponse).order_by(SurveyResponse.id)).scalars()
        ]


async def offer_after(latest_action: str, events=None):
    return await run(ActionOfferSurvey, events or [user("affirm")], latest_action=latest_action)


async def submit(kind: str, answer: str, trigger: str, comment: str | None = None):
    """The form's submit step with its slots filled; no comment slot unless one is given."""
    slots = {"survey_kind": kind, "survey_answer": answer, "survey_trigger": trigger}
    if comment is not None:
        slots["survey_comment"] = comment
    return await run(ActionSubmitSurvey, [user("survey_answer")], slots=slots)


async def test_a_helpful_faq_brings_ces_then_nps_and_nothing_more(session_factory, conversation):
    result, _ = await offer_after("action_record_faq_feedback")
    assert slots_of(result)["survey_due"] is True and slots_of(result)["survey_kind"] == "ces"
    await run(ActionAskSurveyAnswer, [user("affirm")], slots={"survey_kind": "ces"})
    await run(ActionAskSurveyAnswer, [user("affirm")], slots={"survey_kind": "ces", "survey_reasks": 1})
    assert rows(session_factory) == [("ces", "offered", None, None, None, "bot")]  # asked twice, offered once
    submitted, messages = await submit("ces", "very_easy", "faq_helpful")
    assert messages[0]["text"] == project_content().surveys.thanks
    assert slots_of(submitted)["survey_kind"] == "nps"
    await run(ActionAskSurveyAnswer, [user("affirm")], slots={"survey_kind": "nps"})
    last, _ = await submit("nps", "9", "faq_helpful", comment="quick and friendly")
    assert slots_of(last)["survey_due"] is False
    assert rows(session_factory) == [
        ("ces", "answered", 2, "very_easy", None, "bot"),
        ("nps", "answered", 9, None, "quick and friendly", "bot"),
    ]
    again, _ = await offer_after("action_record_faq_feedback")
    assert slots_of(again)["survey_due"] is False  # at most two per conversation


async def test_a_survey_after_a_hand_back_is_credited_to_the_person_in_the_metadata(session_factory, conversation):
    """The router sends who handled the conversation with the hand-back; the asking action records it."""
    hand_back = user("handoff_resolved", text="/handoff_resolved")
    hand_back["parse_data"]["metadata"] = {"handled_by": "ana"}
    await run(ActionAskSurveyAnswer, [hand_back], slots={"survey_kind": "ces"})
    await run(ActionAskSurveyAnswer, [user("affirm")], slots={"survey_kind": "nps"})
    assert [(kind, by) for kind, *_, by in rows(session_factory)] == [("ces", "ana"), ("nps", "bot")]


async def test_nps_is_not_asked_again_within_the_fatigue_window(session_factory, conversation):
    with session_factory.begin() as session:
        surveys.offer(session, conversation_id=conversation, kind="nps", now=utcnow() - timedelta(days=30))
    result, messages = await run(ActionOfferSurvey, [user("goodbye")])
    assert slots_of(result)["survey_due"] is False
    assert messages[0]["response"] == "utter_goodbye"


async def test_no_survey_while_a_person_has_the_conversation(session_factory, conversation):
    with session_factory.begin() as session:
        session.get(Conversation, conversation).state = "awaiting_human"
    result, _ = await offer_after("action_record_faq_feedback")
    assert slots_of(result)["survey_due"] is False


def answer_turn(text, intent="nlu_fallback", kind="nps", requested="survey_answer", reasks=0, value=None):
    entities = [{"entity": "survey_value", "value": value}] if value else []
    slots = {"survey_kind": kind, "requested_slot": requested, "survey_reasks": reasks}
    return form_reply(FORM, text, intent, slots, entities)


@pytest.mark.parametrize(
    "kind, text, expected",
    [
        ("nps", "9", "9"),
        ("nps", "nine", "9"),
        ("nps", "I'd say 10/10", "10"),
        ("csat", "6", "6"),
        ("ces", "very easy", "very_easy"),
        ("ces", "it was hard", "difficult"),
    ],
)
async def test_typed_answers_are_read(kind, text, expected):
    result, _ = await run(ValidateSurveyForm, **answer_turn(text, kind=kind))
    assert slots_of(result)["survey_answer"] == expected


async def test_a_button_answer_and_a_button_of_another_survey():
    ok, _ = await run(ValidateSurveyForm, **answer_turn("/survey_answer", "survey_answer", "ces", value="ces:easy"))
    other, _ = await run(ValidateSurveyForm, **answer_turn("/survey_answer", "survey_answer", "ces", value="nps:3"))
    assert slots_of(ok)["survey_answer"] == "easy" and slots_of(ok)["requested_slot"] is None
    assert other == [REJECTED]


async def test_nps_asks_for_the_reason_and_skip_skips_it():
    scored, _ = await run(ValidateSurveyForm, **answer_turn("3"))
    assert slots_of(scored)["requested_slot"] == "survey_comment"
    skipped, _ = await run(ValidateSurveyForm, **answer_turn("skip", requested="survey_comment"))
    twice, _ = await run(
        ValidateSurveyForm, **answer_turn("/survey_answer", "survey_answer", requested="survey_comment", value="nps:3")
    )
    assert slots_of(skipped)["survey_comment"] == SKIPPED
    assert "survey_comment" not in slots_of(twice)  # the score tapped twice is not a comment


async def test_nonsense_is_asked_again_twice_then_left_unanswered():
    first, _ = await run(ValidateSurveyForm, **answer_turn("banana"))
    second, _ = await run(ValidateSurveyForm, **answer_turn("banana", reasks=1))
    third, _ = await run(ValidateSurveyForm, **answer_turn("banana", reasks=2))
    assert slots_of(first) == {"survey_reasks": 1} and slots_of(second) == {"survey_reasks": 2}
    assert slots_of(third)["survey_answer"] == UNANSWERED and slots_of(third)["requested_slot"] is None


@pytest.mark.parametrize("text", ["skip", "Stop.", "no thanks", "not now"])
async def test_skip_words_skip(text):
    result, _ = await run(ValidateSurveyForm, **answer_turn(text))
    assert slots_of(result)["survey_answer"] == SKIPPED


@pytest.mark.parametrize("intent", ["complain_late_delivery", "request_human", "faq"])
async def test_a_complaint_a_person_or_a_question_leave_the_survey(intent):
    result, _ = await run(ValidateSurveyForm, **answer_turn("my parcel is late, where is it", intent))
    assert result == [REJECTED]


def question_turn(kind: str, detours: int = 0, confidence: float = 0.62) -> dict:
    """The customer asks "do you ship to Norway?" while survey `kind` waits for its answer."""
    turn = answer_turn("do you ship to Norway?", "faq", kind=kind)
    turn["slots"]["survey_detours"] = detours
    parse = turn["events"][-1]["parse_data"]
    parse["intent"]["confidence"] = confidence
    parse["response_selector"] = {"faq": {"response": {"intent_response_key": "faq/international_delivery"}}}
    return turn


@pytest.mark.parametrize("kind", ["ces", "nps", "csat"])
async def test_a_question_during_a_survey_is_answered_and_the_question_asked_again(kind):
    result, messages = await run(ValidateSurveyForm, **question_turn(kind))
    assert [m["response"] for m in messages] == ["utter_faq/international_delivery"]
    assert REJECTED not in result
    slots = slots_of(result)
    assert slots["survey_detours"] == 1 and slots["survey_reasks"] == 0  # asked again in its own words
    assert "requested_slot" not in slots  # the form asks survey_answer again


@pytest.mark.parametrize("kind", ["ces", "nps", "csat"])
async def test_a_second_question_during_a_survey_leaves_it(kind):
    result, messages = await run(ValidateSurveyForm, **question_turn(kind, detours=1))
    assert result == [REJECTED] and messages == []  # stories/surveys.yml answers it and drops the survey


async def test_a_barely_understood_question_is_not_answered_inside_a_survey():
    result, messages = await run(ValidateSurveyForm, **question_turn("nps", confidence=0.35))
    assert messages == [] and REJECTED not in result
    assert slots_of(result)["survey_reasks"] == 1  # asked again as nonsense would be


async def test_a_detractor_gets_a_person_and_a_recovery_case(session_factory, conversation):
    await run(ActionAskSurveyAnswer, [user("goodbye")], slots={"survey_kind": "nps"})
    result, messages = await submit("nps", "2", "goodbye", comment="parcel lost twice")
    assert messages[0]["text"].startswith(project_content().surveys.follow_up)
    assert all(m.get("response") != "utter_goodbye" for m in messages)
    with session_factory() as session:
        case = session.execute(select(RecoveryCase)).scalar_one()
        handoff = session.execute(select(HandoffRequest)).scalar_one()
        state = session.get(Conversation, conversation).state
        comment_polarity = session.execute(select(SurveyResponse.comment_polarity)).scalar_one()
    assert (case.source, case.severity, case.description) == ("nps_detractor", "high", "parcel lost twice")
    assert handoff.reason == "nps_detractor" and state == "awaiting_human"
    assert comment_polarity is not None
    assert slots_of(result)["survey_due"] is False


async def test_skipping_ends_the_surveys_of_the_conversation(session_factory, conversation):
    await run(ActionAskSurveyAnswer, [user("affirm")], slots={"survey_kind": "ces"})
    result, _ = await submit("ces", SKIPPED, "faq_helpful")
    assert rows(session_factory)[0][1] == "skipped"
    assert slots_of(result)["survey_due"] is False
    later, _ = await run(ActionOfferSurvey, [user("goodbye")])
    assert slots_of(later)["survey_due"] is False


async def test_a_late_tap_is_recorded_once(session_factory, conversation):
    await run(ActionAskSurveyAnswer, [user("affirm")], slots={"survey_kind": "csat"})
    tap = [user("survey_answer", text="/survey_answer", entities=[{"entity": "survey_value", "value": "csat:6"}])]
    _, first = await run(ActionLateSurveyAnswer, tap)
    _, second = await run(ActionLateSurveyAnswer, tap)
    assert first[0]["text"] == project_content().surveys.thanks
    assert second[0]["text"] == project_content().surveys.already_answered
    assert rows(session_factory) == [("csat", "answered", 6, None, None, "bot")]


KINDS = st.lists(st.sampled_from(["ces", "nps", "csat"]), unique=True, max_size=3)


@given(
    trigger=st.sampled_from(["faq_helpful", "recovery", "handoff_resolved", "goodbye", None]),
    asked=KINDS,
    order_related=st.booleans(),
    nps_allowed=st.booleans(),
)
def test_the_next_survey_respects_every_limit(trigger, asked, order_related, nps_allowed):
    content = project_content().surveys
    kind = next_survey(content, trigger, asked=asked, order_related=order_related, nps_allowed=nps_allowed)
    if kind is None:
        return
    assert kind in content.after[trigger] and kind not in asked
    assert len(asked) < content.max_per_conversation
    assert kind != "csat" or order_related
    assert kind != "nps" or nps_allowed


@given(kind=st.sampled_from(["ces", "nps", "csat"]), text=st.text(max_size=40))
def test_parsing_any_text_gives_a_valid_answer_or_none(kind, text):
    answer = survey_plan.parse_answer(kind, text)
    if kind == "ces":
        assert answer is None or answer in project_content().surveys.ces_answers
    else:
        assert answer is None or answer in (range(0, 11) if kind == "nps" else range(1, 8))


def test_every_button_payload_round_trips():
    content = project_content().surveys
    for kind in ("ces", "nps", "csat"):
        for button in survey_buttons(content, kind):
            value = button["payload"].split('"survey_value":"', 1)[1].rstrip('"}')
            button_kind, answer = survey_plan.split_button_value(value)
            assert button_kind == kind
            assert answer == SKIPPED or survey_plan.parse_answer(kind, answer) is not None
