"""Proactive follow-up: scheduled from a recovered case, sent once in allowed hours, answered."""

from __future__ import annotations

import shutil
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.conversation import store
from bot.followup import schedule
from bot.followup.content import load_content as load_followup
from bot.storage.followups import FollowUp, FollowUpOptOut
from bot.storage.models import Conversation, HandoffRequest, Message, RecoveryCase, StaffNote, SurveyResponse
from tests.support.content import project_content
from tests.support.followups import (
    SETTLED,
    Clock,
    Pushes,
    days,
    followup_router,
    scheduler,
    settled_case,
    telegram_text,
)
from tests.support.routing import ScriptedAssistant

WORDING = project_content().followup.wording


def only_followup(session_factory) -> FollowUp:
    with session_factory() as session:
        return session.execute(select(FollowUp)).scalar_one()


async def test_a_recovered_case_gets_one_followup_after_its_category_delay(session_factory):
    with session_factory.begin() as session:
        settled_case(session, "42", category="damaged_item")
    clock, pushes = Clock(SETTLED + days(1)), Pushes()
    runner = scheduler(session_factory, clock, pushes)
    assert await runner.tick() == 0
    followup = only_followup(session_factory)
    assert followup.status == "scheduled" and followup.due_at == SETTLED + days(3)
    clock.now = SETTLED + days(3)
    assert await runner.tick() == 1
    assert await runner.tick() == 0
    # A restart: a new scheduler over the same database neither loses nor repeats it.
    assert await scheduler(session_factory, clock, pushes).tick() == 0
    [(channel, sender, messages)] = pushes.sent
    assert (channel, sender) == ("telegram", "42")
    assert messages[0].text == WORDING["en"].question("damaged_item")
    assert [b.payload for b in messages[0].buttons] == ["/followup_yes", "/followup_no", "/followup_stop"]
    assert only_followup(session_factory).status == "sent"


async def test_refund_waits_seven_days_and_persian_customers_get_persian(session_factory):
    with session_factory.begin() as session:
        settled_case(session, "43", category="billing_error", locale="fa")
    clock, pushes = Clock(SETTLED + days(6)), Pushes()
    runner = scheduler(session_factory, clock, pushes)
    assert await runner.tick() == 0
    clock.now = SETTLED + days(7)
    assert await runner.tick() == 1
    assert pushes.sent[0][2][0].text == WORDING["fa"].question("billing_error")


@pytest.mark.parametrize("hour, sent", [(21, 0), (22, 0), (3, 0), (6, 0), (7, 1), (12, 1)])
async def test_never_in_the_quiet_hours_of_the_shops_time_zone(session_factory, hour, sent):
    """Berlin is UTC+1 in November: 21:00 UTC is 22:00 there, 07:00 UTC is 08:00."""
    with session_factory.begin() as session:
        settled_case(session, "44")
    due_day = (SETTLED + days(4)).replace(hour=hour)
    pushes = Pushes()
    assert await scheduler(session_factory, Clock(due_day), pushes).tick() == sent
    assert len(pushes.sent) == sent


async def test_the_widget_holds_it_for_the_next_visit(session_factory):
    with session_factory.begin() as session:
        settled_case(session, "visitor-1", channel="widget")
    pushes = Pushes()
    assert await scheduler(session_factory, Clock(SETTLED + days(3)), pushes).tick() == 1
    assert pushes.sent == []
    with session_factory() as session:
        shown = store.latest_conversation(session, channel="widget", sender_id="visitor-1", limit=5)
    assert [m.message.text for m in shown] == [WORDING["en"].question("damaged_item")]


async def test_a_failed_push_is_tried_again_and_sent_once(session_factory):
    with session_factory.begin() as session:
        settled_case(session, "45")
    clock = Clock(SETTLED + days(3))
    assert await scheduler(session_factory, clock, Pushes(fail=True)).tick() == 0
    assert only_followup(session_factory).status == "scheduled"
    with session_factory() as session:
        # The question written for the failed push is gone again: nothing half-sent stays behind.
        assert session.execute(select(Message).where(Message.direction == "bot")).all() == []
    pushes = Pushes()
    assert await scheduler(session_factory, clock, pushes).tick() == 1
    assert len(pushes.sent) == 1


def test_a_claim_succeeds_once_and_a_cancelled_followup_is_never_claimed(session_factory):
    with session_factory.begin() as session:
        settled_case(session, "46")
        settled_case(session, "47")
        schedule.schedule_recovered(session, project_content().followup, SETTLED + days(3))
        # Scheduling again (another replica's round) adds nothing: one per case.
        assert schedule.schedule_recovered(session, project_content().followup, SETTLED + days(3)) == 0
    first, second = schedule.due_ids(session_factory(), SETTLED + days(3))
    with session_factory.begin() as session:
        assert schedule.claim(session, first, SETTLED) is True
        assert schedule.claim(session, first, SETTLED) is False
        assert schedule.cancel(session, second, by="ana") is True
        assert schedule.claim(session, second, SETTLED) is False
        assert schedule.cancel(session, first, by="ana") is False  # being sent: too late


async def sent_followup(session_factory, sender: str = "50") -> None:
    with session_factory.begin() as session:
        settled_case(session, sender)
    assert await scheduler(session_factory, Clock(SETTLED + days(3)), Pushes()).tick() == 1


async def test_no_reopens_the_case_and_hands_it_to_a_person_with_the_history(session_factory):
    await sent_followup(session_factory)
    assistant = ScriptedAssistant()
    router = followup_router(session_factory, assistant)
    replies = await router.handle(telegram_text("50", "/followup_no", "tg-button-9"))
    assert assistant.calls == []
    assert replies[0].text == WORDING["en"].replies["after_no"]
    with session_factory() as session:
        handoff = session.execute(select(HandoffRequest)).scalar_one()
        conversation = session.get(Conversation, handoff.conversation_id)
        case = session.execute(select(RecoveryCase)).scalar_one()
        note = session.execute(select(StaffNote)).scalar_one()
    assert handoff.reason == "followup_not_resolved" and conversation.state == "awaiting_human"
    assert case.status == "escalated" and case.closed_at is None
    assert f"case {case.id}" in note.text and "damaged_item" in note.text
    assert only_followup(session_factory).answer == "no"


async def test_yes_is_followed_by_csat_and_the_score_is_recorded(session_factory):
    await sent_followup(session_factory, "51")
    assistant = ScriptedAssistant()
    router = followup_router(session_factory, assistant)
    replies = await router.handle(telegram_text("51", "Yes", "m1"))
    assert [r.text for r in replies] == [WORDING["en"].replies["after_yes"], WORDING["en"].replies["csat_question"]]
    assert [b.payload for b in replies[1].buttons][-1] == "/followup_csat_7"
    replies = await router.handle(telegram_text("51", "/followup_csat_6", "m2"))
    assert [r.text for r in replies] == [WORDING["en"].replies["csat_thanks"]]
    # Afterwards the assistant answers again.
    await router.handle(telegram_text("51", "where is my order", "m3"))
    assert assistant.calls == ["where is my order"]
    with session_factory() as session:
        survey = session.execute(select(SurveyResponse)).scalar_one()
    assert (survey.kind, survey.status, survey.score, survey.handled_by) == ("csat", "answered", 6, "followup")


async def test_stop_in_persian_opts_out_for_good(session_factory):
    await sent_followup(session_factory, "52")
    router = followup_router(session_factory, ScriptedAssistant())
    replies = await router.handle(telegram_text("52", "توقف", "m1"))
    # Said in Persian, answered in Persian (the router's language per message, issue 15).
    assert [r.text for r in replies] == [WORDING["fa"].replies["after_stop"]]
    with session_factory.begin() as session:
        [optout] = session.execute(select(FollowUpOptOut)).scalars().all()
        customer_id = optout.customer_id
        # A later complaint of the same customer, settled again: no follow-up this time.
        first = session.execute(select(RecoveryCase)).scalar_one()
        session.add(
            RecoveryCase(
                conversation_id=first.conversation_id,
                customer_id=customer_id,
                source="complaint",
                category="wrong_item",
                severity="low",
                status="recovered",
                closed_at=SETTLED + days(5),
            )
        )
    pushes = Pushes()
    assert await scheduler(session_factory, Clock(SETTLED + days(9)), pushes).tick() == 0
    assert pushes.sent == []


async def test_a_message_that_answers_nothing_goes_to_the_assistant(session_factory):
    await sent_followup(session_factory, "53")
    assistant = ScriptedAssistant()
    router = followup_router(session_factory, assistant)
    await router.handle(telegram_text("53", "what are your opening hours", "m1"))
    assert assistant.calls == ["what are your opening hours"]
    assert only_followup(session_factory).status == "sent"


async def test_old_cases_and_customers_who_never_wrote_get_none(session_factory):
    with session_factory.begin() as session:
        settled_case(session, "60")
        silent = settled_case(session, "61")
        session.execute(
            Message.__table__.delete().where(
                Message.conversation_id == session.get(RecoveryCase, silent).conversation_id
            )
        )
    late = SETTLED + days(3) + timedelta(days=30)
    assert await scheduler(session_factory, Clock(late), Pushes()).tick() == 0
    with session_factory() as session:
        assert session.execute(select(FollowUp)).all() == []


async def test_stop_covers_every_identity_of_the_person(session_factory):
    from bot.people.persons import link

    await sent_followup(session_factory, "54")
    router = followup_router(session_factory, ScriptedAssistant())
    await router.handle(telegram_text("54", "stop", "m1"))
    with session_factory.begin() as session:
        widget_case = settled_case(session, "visitor-54", channel="widget")
        telegram_customer = session.execute(select(FollowUpOptOut.customer_id)).scalar_one()
        link(session, telegram_customer, session.get(RecoveryCase, widget_case).customer_id, how="telegram_link")
    assert await scheduler(session_factory, Clock(SETTLED + days(3)), Pushes()).tick() == 0
    with session_factory() as session:
        assert session.execute(select(FollowUp).where(FollowUp.case_id == widget_case)).first() is None


async def test_a_followup_a_crash_left_sending_is_tried_again_once_never_twice(session_factory):
    with session_factory.begin() as session:
        settled_case(session, "60")
        schedule.schedule_recovered(session, project_content().followup, SETTLED + days(3))
    crashed_at = SETTLED + days(3)
    followup_id = only_followup(session_factory).id
    with session_factory.begin() as session:
        assert schedule.claim(session, followup_id, crashed_at)  # ... and the process died here
    clock, pushes = Clock(crashed_at + schedule.SENDING_TIMEOUT - timedelta(seconds=1)), Pushes()
    runner = scheduler(session_factory, clock, pushes)
    assert await runner.tick() == 0  # not stale yet: another process may still be writing it
    assert only_followup(session_factory).status == "sending"
    # A process that claimed it and is merely slow writes nothing once its claim was taken over.
    clock.now = crashed_at + schedule.SENDING_TIMEOUT + timedelta(seconds=1)
    with session_factory.begin() as session:
        assert schedule.reclaim_stale(session, clock.now) == (1, 0)
        assert schedule.claim(session, followup_id, clock.now)
    with session_factory.begin() as session:
        assert schedule.write(session, project_content().followup, followup_id, crashed_at) is None
    assert only_followup(session_factory).status == "sending" and pushes.sent == []
    # It crashed again after the retry's claim: given up, shown to staff, never tried a third time.
    clock.now += schedule.SENDING_TIMEOUT + timedelta(seconds=1)
    assert await runner.tick() == 0
    followup = only_followup(session_factory)
    assert (followup.status, followup.cancelled_by) == ("cancelled", schedule.GAVE_UP)
    assert followup.reclaimed_at is not None and pushes.sent == []


async def test_a_stale_sending_followup_is_sent_once_by_the_retry(session_factory):
    with session_factory.begin() as session:
        settled_case(session, "61")
        schedule.schedule_recovered(session, project_content().followup, SETTLED + days(3))
    followup_id = only_followup(session_factory).id
    with session_factory.begin() as session:
        schedule.claim(session, followup_id, SETTLED + days(3))
    clock, pushes = Clock(SETTLED + days(3) + schedule.SENDING_TIMEOUT * 2), Pushes()
    assert await scheduler(session_factory, clock, pushes).tick() == 1
    assert await scheduler(session_factory, clock, pushes).tick() == 0  # a restart: not again
    assert len(pushes.sent) == 1 and only_followup(session_factory).status == "sent"


def test_the_quiet_hours_are_in_the_shops_time_zone_set_once_in_escalation_yml(tmp_path):
    content = project_content()
    assert content.followup.zone == content.escalation.timezone
    # A shop in Tehran changes escalation.yml only; the follow-up's quiet hours follow it.
    shutil.copytree("content", tmp_path / "content")
    escalation = tmp_path / "content" / "escalation.yml"
    escalation.write_text(
        escalation.read_text(encoding="utf-8").replace("timezone: Europe/Berlin", "timezone: Asia/Tehran"),
        encoding="utf-8",
    )
    moved = load_followup(tmp_path / "content" / "followup.yml")
    assert moved.zone == ZoneInfo("Asia/Tehran")
    # 19:00 UTC is 22:30 in Tehran (quiet) and 20:00 in Berlin (not).
    evening = SETTLED.replace(hour=19)
    assert moved.in_quiet_hours(evening) and not content.followup.in_quiet_hours(evening)
