"""The handoff state machine: transitions, first-claim-wins across sessions, and properties."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from bot.desk import auth
from bot.handoff import transitions as handoffs
from bot.handoff.queries import active_request, waiting_since_before
from bot.handoff.transitions import AlreadyClaimed, TransitionRefused, escalate
from bot.storage.database import get_session_factory, migrate
from bot.storage.models import (
    Conversation,
    HandoffEvent,
    HandoffRequest,
    Message,
    StaffUser,
    utcnow,
)
from tests.support.content import handoff_wording, project_content
from tests.support.factories import add_conversation

WORDING = handoff_wording()  # escalate()'s rules and desk wording, from content/

JOINED = "A team member ({name}) has joined"
LEFT = "A team member ({name}) has left"


def add_staff(session, username: str, name: str, role: str = "agent") -> StaffUser:
    return auth.add_user(session, username=username, display_name=name, password="long enough pw", role=role)


@pytest.fixture
def staff(session_factory):
    with session_factory.begin() as session:
        users = [
            add_staff(session, "ana", "Ana"),
            add_staff(session, "ben", "Ben"),
            add_staff(session, "mia", "Mia", "manager"),
        ]
        return {user.username: user for user in users}


def queued(session_factory, external_id: str) -> tuple[int, int]:
    with session_factory.begin() as session:
        conversation = add_conversation(session, external_id)
        escalate(session, conversation, reason="customer_request", **WORDING)
        handoff = active_request(session, conversation.id)
        return conversation.id, handoff.id


def state_of(session_factory, conversation_id: int, handoff_id: int) -> tuple[str, str]:
    with session_factory() as session:
        return session.get(Conversation, conversation_id).state, session.get(HandoffRequest, handoff_id).status


def claim(session_factory, handoff_id: int, user: StaffUser):
    with session_factory.begin() as session:
        return handoffs.claim(
            session, handoff_id, session.get(StaffUser, user.id), joined_text=JOINED.format(name=user.display_name)
        )


def test_claim_reply_resolve_moves_the_conversation_and_stores_markers(session_factory, staff):
    conversation_id, handoff_id = queued(session_factory, "c1")
    assert state_of(session_factory, conversation_id, handoff_id) == ("awaiting_human", "open")

    outcome = claim(session_factory, handoff_id, staff["ana"])
    assert outcome.channel == "rest" and outcome.sender_id == "c1"
    assert [m.text for m in outcome.messages] == ["A team member (Ana) has joined"]
    assert outcome.messages[0].custom == {"event": "agent_joined", "name": "Ana"}
    assert state_of(session_factory, conversation_id, handoff_id) == ("with_human", "claimed")

    with session_factory.begin() as session:
        reply = handoffs.reply(session, handoff_id, session.get(StaffUser, staff["ana"].id), "  Hello <b>there</b> ")
    assert reply.messages[0].text == "Hello <b>there</b>"
    with session_factory.begin() as session:
        done = handoffs.resolve(
            session, handoff_id, session.get(StaffUser, staff["ana"].id), left_text=LEFT.format(name="Ana")
        )
    assert done.messages[0].custom == {"event": "agent_left", "name": "Ana"}
    assert state_of(session_factory, conversation_id, handoff_id) == ("bot", "resolved")

    with session_factory() as session:
        rows = (
            session.execute(select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id))
            .scalars()
            .all()
        )
        assert [(m.direction, m.text, m.staff_user_id) for m in rows] == [
            ("agent", "A team member (Ana) has joined", staff["ana"].id),
            ("agent", "Hello <b>there</b>", staff["ana"].id),
            ("agent", "A team member (Ana) has left", staff["ana"].id),
        ]
        assert json.loads(rows[1].payload) == {"custom": {"from": "agent", "name": "Ana"}}
        kinds = (
            session.execute(
                select(HandoffEvent.kind).where(HandoffEvent.handoff_id == handoff_id).order_by(HandoffEvent.id)
            )
            .scalars()
            .all()
        )
        assert kinds == ["queued", "claimed", "resolved"]
        handoff = session.get(HandoffRequest, handoff_id)
        assert handoff.closed_by_id == staff["ana"].id and handoff.closed_at is not None


def test_a_second_claim_is_told_who_has_it(session_factory, staff):
    _, handoff_id = queued(session_factory, "c1")
    claim(session_factory, handoff_id, staff["ana"])
    with pytest.raises(AlreadyClaimed) as refused:
        claim(session_factory, handoff_id, staff["ben"])
    assert refused.value.holder == "Ana"
    assert refused.value.reason == "Ana already has this conversation"


def test_only_the_holder_replies_and_only_the_holder_or_a_manager_resolves(session_factory, staff):
    conversation_id, handoff_id = queued(session_factory, "c1")
    with session_factory.begin() as session, pytest.raises(TransitionRefused, match="claim the conversation"):
        handoffs.reply(session, handoff_id, session.get(StaffUser, staff["ana"].id), "hi")
    claim(session_factory, handoff_id, staff["ana"])
    with session_factory.begin() as session, pytest.raises(TransitionRefused, match="Ana has this conversation"):
        handoffs.reply(session, handoff_id, session.get(StaffUser, staff["ben"].id), "hi")
    with session_factory.begin() as session, pytest.raises(TransitionRefused, match="Ana has this conversation"):
        handoffs.resolve(session, handoff_id, session.get(StaffUser, staff["ben"].id), left_text="left")
    with session_factory.begin() as session:
        handoffs.resolve(session, handoff_id, session.get(StaffUser, staff["mia"].id), left_text="left")
    assert state_of(session_factory, conversation_id, handoff_id) == ("bot", "resolved")


def test_transfer_passes_the_conversation_with_left_and_joined_markers(session_factory, staff):
    conversation_id, handoff_id = queued(session_factory, "c1")
    claim(session_factory, handoff_id, staff["ana"])
    with session_factory.begin() as session:
        outcome = handoffs.transfer(
            session,
            handoff_id,
            session.get(StaffUser, staff["ana"].id),
            session.get(StaffUser, staff["ben"].id),
            left_text=LEFT,
            joined_text=JOINED,
        )
    assert [m.text for m in outcome.messages] == ["A team member (Ana) has left", "A team member (Ben) has joined"]
    with session_factory() as session:
        assert session.get(HandoffRequest, handoff_id).assigned_to_id == staff["ben"].id
    with session_factory.begin() as session, pytest.raises(TransitionRefused):
        handoffs.reply(session, handoff_id, session.get(StaffUser, staff["ana"].id), "still me?")
    assert state_of(session_factory, conversation_id, handoff_id) == ("with_human", "claimed")


def test_the_customer_cancels_only_while_queued(session_factory, staff):
    conversation_id, handoff_id = queued(session_factory, "c1")
    with session_factory.begin() as session:
        assert handoffs.cancel_by_customer(session, conversation_id) is not None
    assert state_of(session_factory, conversation_id, handoff_id) == ("bot", "cancelled")
    with session_factory.begin() as session:
        assert handoffs.cancel_by_customer(session, conversation_id) is None  # nothing left to cancel

    conversation_id, handoff_id = queued(session_factory, "c2")
    claim(session_factory, handoff_id, staff["ana"])
    with session_factory.begin() as session:
        assert handoffs.cancel_by_customer(session, conversation_id) is None  # a person has it
    assert state_of(session_factory, conversation_id, handoff_id) == ("with_human", "claimed")


def test_a_timed_out_request_stays_queued_and_claimable(session_factory, staff):
    conversation_id, handoff_id = queued(session_factory, "c1")
    later = utcnow() + timedelta(minutes=20)
    with session_factory.begin() as session:
        assert waiting_since_before(session, later - timedelta(minutes=15)) == [handoff_id]
        assert handoffs.time_out(session, handoff_id, later)
        assert not handoffs.time_out(session, handoff_id, later)  # once only
        assert waiting_since_before(session, later) == []
    assert state_of(session_factory, conversation_id, handoff_id) == ("awaiting_human", "timed_out")
    claim(session_factory, handoff_id, staff["ben"])
    assert state_of(session_factory, conversation_id, handoff_id) == ("with_human", "claimed")


def test_escalating_again_while_a_person_has_it_opens_no_second_request(session_factory, staff):
    conversation_id, handoff_id = queued(session_factory, "c1")
    claim(session_factory, handoff_id, staff["ana"])
    with session_factory.begin() as session:
        again = escalate(session, session.get(Conversation, conversation_id), reason="very_negative_message", **WORDING)
        assert not again.created
        assert session.execute(select(func.count(HandoffRequest.id))).scalar_one() == 1


def test_concurrent_claims_from_two_sessions_exactly_one_wins(session_factory, staff):
    """Two staff members press Claim at the same moment, each in their own database session."""
    for round_number in range(8):
        _, handoff_id = queued(session_factory, f"race-{round_number}")
        barrier = threading.Barrier(2)
        results: dict[str, object] = {}

        def press(user: StaffUser) -> None:
            sessions = get_session_factory(session_factory.kw["bind"].url.render_as_string(hide_password=False))
            try:
                with sessions.begin() as session:
                    me = session.get(StaffUser, user.id)
                    barrier.wait()
                    handoffs.claim(session, handoff_id, me, joined_text=JOINED.format(name=me.display_name))
                results[user.username] = "won"
            except AlreadyClaimed as lost:
                results[user.username] = lost
            except Exception as error:  # reported by the assertion below, not lost in the thread
                results[user.username] = error

        threads = [threading.Thread(target=press, args=(staff[name],)) for name in ("ana", "ben")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [name for name, result in results.items() if result == "won"]
        assert len(winners) == 1, results
        loser = next(result for result in results.values() if result != "won")
        assert loser.holder == staff[winners[0]].display_name
        with session_factory() as session:
            handoff = session.get(HandoffRequest, handoff_id)
            assert handoff.assigned_to_id == staff[winners[0]].id
            joined = session.execute(
                select(func.count(Message.id)).where(
                    Message.conversation_id == handoff.conversation_id, Message.direction == "agent"
                )
            ).scalar_one()
            assert joined == 1  # one "has joined" marker, from the winner


def test_concurrent_escalations_from_two_sessions_open_one_request(session_factory):
    """Two triggers for one conversation at the same moment, each in its own database session
    (as two server processes would): the partial unique index lets exactly one request in."""
    url = session_factory.kw["bind"].url.render_as_string(hide_password=False)
    for round_number in range(6):
        with session_factory.begin() as session:
            conversation_id = add_conversation(session, f"race-{round_number}").id
        barrier = threading.Barrier(2)
        results: dict[str, object] = {}

        def trigger(reason: str) -> None:
            try:
                with get_session_factory(url).begin() as session:
                    conversation = session.get(Conversation, conversation_id)
                    barrier.wait()
                    results[reason] = escalate(session, conversation, reason=reason, **WORDING).created
            except Exception as error:  # reported by the assertion below, not lost in the thread
                results[reason] = error

        threads = [
            threading.Thread(target=trigger, args=(reason,)) for reason in ("customer_request", "very_negative_message")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results.values(), key=str) == [False, True], results
        with session_factory() as session:
            active = (
                session.execute(select(HandoffRequest).where(HandoffRequest.conversation_id == conversation_id))
                .scalars()
                .all()
            )
            assert [(h.status, h.reason) for h in active] == [("open", next(r for r, c in results.items() if c))]
            assert session.get(Conversation, conversation_id).state == "awaiting_human"
            assert (
                session.execute(
                    select(func.count(HandoffEvent.id)).where(HandoffEvent.handoff_id == active[0].id)
                ).scalar_one()
                == 1
            )  # one "queued" event


def test_an_escalation_the_index_refuses_leaves_the_callers_transaction_usable(session_factory):
    """While one session's request is not yet committed, a second session's escalate waits for it,
    is refused by the database, says "already", and its own earlier writes still commit."""
    with session_factory.begin() as session:
        conversation_id = add_conversation(session, "c1").id
    url = session_factory.kw["bind"].url.render_as_string(hide_password=False)
    first = get_session_factory(url)()
    first.begin()
    assert escalate(first, first.get(Conversation, conversation_id), reason="customer_request", **WORDING).created
    outcome: dict[str, object] = {}

    def second() -> None:
        try:
            with get_session_factory(url).begin() as session:
                conversation = session.get(Conversation, conversation_id)
                outcome["created"] = escalate(session, conversation, reason="nps_detractor", **WORDING).created
                session.add(
                    Message(
                        conversation_id=conversation_id,
                        direction="bot",
                        text="still here",
                        handled=True,
                        created_at=utcnow(),
                    )
                )
        except Exception as error:
            outcome["created"] = error

    thread = threading.Thread(target=second)
    thread.start()
    first.commit()  # the second session's insert was waiting for this, or comes after it
    first.close()
    thread.join()
    assert outcome == {"created": False}
    with session_factory() as session:
        assert session.execute(select(func.count(HandoffRequest.id))).scalar_one() == 1
        assert session.execute(
            select(Message.text).where(Message.conversation_id == conversation_id)
        ).scalars().all() == ["still here"]


# --- properties: any sequence of actions keeps the conversation and its request consistent ---


class HandoffMachine(RuleBasedStateMachine):
    """Random sequences of escalations, claims, replies, transfers, hand-backs, cancels and
    time-outs on one conversation, checked against a model of the state machine."""

    sessions = None
    staff_ids: list[int] = []
    counter = 0

    def __init__(self) -> None:
        super().__init__()
        HandoffMachine.counter += 1
        with self.sessions.begin() as session:
            self.conversation_id = add_conversation(session, f"prop-{HandoffMachine.counter}").id
        self.status = None  # the model: status of the current request, None when the bot has it
        self.holder = None
        self.handoff_id = None
        self.requests = 0

    def _staff(self, session, index):
        return session.get(StaffUser, self.staff_ids[index])

    def _done(self, transition) -> bool:
        """Runs `transition(session)` in a session of its own; False when the state machine refused it."""
        try:
            with self.sessions.begin() as session:
                transition(session)
        except TransitionRefused:
            return False
        return True

    @rule()
    def escalate(self):
        with self.sessions.begin() as session:
            conversation = session.get(Conversation, self.conversation_id)
            result = escalate(session, conversation, reason="customer_request", **WORDING)
            assert result.created == (self.status is None)
            if result.created:
                self.requests += 1
                self.handoff_id = active_request(session, self.conversation_id).id
                self.status, self.holder = "open", None

    @rule(who=st.integers(0, 2))
    def claim(self, who):
        if self.handoff_id is None:
            return
        done = self._done(lambda s: handoffs.claim(s, self.handoff_id, self._staff(s, who), joined_text="joined"))
        assert done == (self.status in ("open", "timed_out"))
        if done:
            self.status, self.holder = "claimed", who

    @rule(who=st.integers(0, 2), text=st.text(min_size=0, max_size=20))
    def reply(self, who, text):
        if self.handoff_id is None:
            return
        done = self._done(lambda s: handoffs.reply(s, self.handoff_id, self._staff(s, who), text))
        assert done == (self.status == "claimed" and self.holder == who and bool(text.strip()))

    @rule(who=st.integers(0, 2), to=st.integers(0, 2))
    def transfer(self, who, to):
        if self.handoff_id is None:
            return
        done = self._done(
            lambda s: handoffs.transfer(
                s, self.handoff_id, self._staff(s, who), self._staff(s, to), left_text="left", joined_text="joined"
            )
        )
        assert done == (self.status == "claimed" and (self.holder == who or who == 2) and to != self.holder)
        if done:
            self.holder = to

    @rule(who=st.integers(0, 2))
    def resolve(self, who):
        if self.handoff_id is None:
            return
        # Only the holder or a manager (staff 2) may hand back.
        done = self._done(lambda s: handoffs.resolve(s, self.handoff_id, self._staff(s, who), left_text="left"))
        assert done == (self.status == "claimed" and (self.holder == who or who == 2))
        if done:
            self.status, self.holder = None, None

    @rule()
    def cancel(self):
        with self.sessions.begin() as session:
            cancelled = handoffs.cancel_by_customer(session, self.conversation_id)
        assert (cancelled is not None) == (self.status in ("open", "timed_out"))
        if cancelled is not None:
            self.status = None

    @rule()
    def time_out(self):
        if self.handoff_id is None:
            return
        with self.sessions.begin() as session:
            changed = handoffs.time_out(session, self.handoff_id)
        assert changed == (self.status == "open")
        if changed:
            self.status = "timed_out"

    @invariant()
    def database_matches_the_model(self):
        with self.sessions() as session:
            conversation = session.get(Conversation, self.conversation_id)
            active = (
                session.execute(
                    select(HandoffRequest).where(
                        HandoffRequest.conversation_id == self.conversation_id,
                        HandoffRequest.status.in_(("open", "timed_out", "claimed")),
                    )
                )
                .scalars()
                .all()
            )
            expected_state = {
                None: "bot",
                "open": "awaiting_human",
                "timed_out": "awaiting_human",
                "claimed": "with_human",
            }[self.status]
            assert conversation.state == expected_state
            assert len(active) == (0 if self.status is None else 1)  # never two requests at once
            if active:
                assert active[0].status == self.status
                holder_id = self.staff_ids[self.holder] if self.holder is not None else None
                assert active[0].assigned_to_id == holder_id if self.status == "claimed" else True
            total = session.execute(
                select(func.count(HandoffRequest.id)).where(HandoffRequest.conversation_id == self.conversation_id)
            ).scalar_one()
            assert total == self.requests
            closed = (
                session.execute(
                    select(HandoffRequest).where(
                        HandoffRequest.conversation_id == self.conversation_id,
                        HandoffRequest.status.in_(("resolved", "cancelled")),
                    )
                )
                .scalars()
                .all()
            )
            assert all(row.closed_at is not None for row in closed)


def test_the_state_machine_holds_for_any_sequence_of_actions(tmp_path):
    url = f"sqlite:///{tmp_path / 'props.db'}"
    migrate(url)
    HandoffMachine.sessions = get_session_factory(url)
    with HandoffMachine.sessions.begin() as session:
        HandoffMachine.staff_ids = [
            add_staff(session, "ana", "Ana").id,
            add_staff(session, "ben", "Ben").id,
            add_staff(session, "mia", "Mia", "manager").id,
        ]
    run_state_machine_as_test(
        HandoffMachine,
        settings=settings(
            max_examples=60, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
        ),
    )


def test_the_queue_estimate_counts_who_is_ahead_and_recent_waits(session_factory, staff):
    from bot.handoff.content import DEFAULT_MESSAGES
    from bot.handoff.estimate import estimate_text

    now = utcnow()
    with session_factory.begin() as session:
        first = HandoffRequest(
            conversation_id=add_conversation(session, "e1").id, reason="customer_request", status="open", created_at=now
        )
        session.add(first)
        session.flush()
        assert estimate_text(session, first, DEFAULT_MESSAGES, now) == "You're next in line."
        # Two earlier requests were claimed after 4 and 6 minutes: the median is 5.
        for minutes, name in ((4, "e2"), (6, "e3")):
            session.add(
                HandoffRequest(
                    conversation_id=add_conversation(session, name).id,
                    reason="customer_request",
                    status="resolved",
                    created_at=now - timedelta(minutes=30),
                    claimed_at=now - timedelta(minutes=30 - minutes),
                )
            )
        second = HandoffRequest(
            conversation_id=add_conversation(session, "e4").id, reason="customer_request", status="open", created_at=now
        )
        session.add(second)
        session.flush()
        assert (
            estimate_text(session, first, DEFAULT_MESSAGES, now)
            == "You're next in line. The wait is usually about 5 minutes."
        )
        assert estimate_text(session, second, DEFAULT_MESSAGES, now) == (
            "There is 1 person ahead of you; the wait is usually about 10 minutes."
        )


def test_escalating_in_business_hours_tells_the_place_in_the_queue(session_factory):
    from datetime import datetime, timezone

    from bot.handoff.rules import next_opening

    rules = project_content().escalation
    day = next_opening(rules, utcnow())
    at = (
        datetime.combine(day.date(), rules.hours[day.weekday()][0], tzinfo=rules.timezone) + timedelta(hours=1)
    ).astimezone(timezone.utc)
    with session_factory.begin() as session:
        told = escalate(session, add_conversation(session, "h1"), reason="customer_request", now=at, **WORDING)
    assert told.message == f"{rules.messages['open']} You're next in line."
