"""Messages stored but never answered (the process died in between): answered once, later."""

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.app.unanswered import answer_left_over
from bot.channels.base import ChannelRegistry
from bot.conversation import answers
from bot.conversation import store as conversations
from bot.desk.views import conversation_view
from bot.storage.models import Message, utcnow
from tests.support.routing import ScriptedAssistant, inbound, make_router


def stored_by_a_dead_process(session_factory, text: str, message_id: str, sender: str = "c1") -> int:
    """What a crash leaves: the message stored and claimed, then nothing."""
    with session_factory.begin() as session:
        stored = conversations.record_inbound(
            session,
            inbound(text, sender=sender, message_id=message_id),
            text=text,
            sentiment=None,
            timeout=timedelta(hours=1),
            claimed_by="dead-process",
        )
    return stored.message_id


def replies_to(session_factory, message_id: int) -> list[Message]:
    with session_factory() as session:
        return list(session.execute(select(Message).where(Message.reply_to_id == message_id)).scalars())


async def test_a_retry_of_a_stored_unanswered_message_is_answered_once(session_factory):
    message_id = stored_by_a_dead_process(session_factory, "where is my order", "m-1")
    assistant = ScriptedAssistant()
    router = make_router(session_factory, assistant)
    first = await router.handle(inbound("where is my order", message_id="m-1"))
    again = await router.handle(inbound("where is my order", message_id="m-1"))
    assert [r.text for r in first] == ["echo: where is my order"]
    assert [r.to_dict() for r in again] == [r.to_dict() for r in first]
    assert assistant.calls == ["where is my order"]
    assert len(replies_to(session_factory, message_id)) == 1
    with session_factory() as session:
        message = session.get(Message, message_id)
    assert message.answered_at is not None and message.answering_by is None and message.handled


async def test_a_claim_is_won_once_and_waits_for_a_living_owner(session_factory):
    message_id = stored_by_a_dead_process(session_factory, "hello", "m-1")
    with session_factory.begin() as session:
        assert answers.claim(session, message_id, owner="b", alive=lambda _o: False) is answers.Claim.CLAIMED
    with session_factory.begin() as session:
        # b still runs and its claim is fresh: c waits; once b is gone, c takes over.
        assert answers.claim(session, message_id, owner="c", alive=lambda _o: True) is answers.Claim.BUSY
        assert answers.claim(session, message_id, owner="c", alive=lambda _o: False) is answers.Claim.CLAIMED
    with session_factory.begin() as session:
        answers.finish(session, message_id)
    with session_factory.begin() as session:
        with pytest.raises(answers.AlreadyAnswered):
            answers.finish(session, message_id)
        assert answers.claim(session, message_id, owner="d", alive=lambda _o: False) is answers.Claim.ANSWERED


def test_of_many_simultaneous_claims_on_an_abandoned_message_one_wins(session_factory):
    message_id = stored_by_a_dead_process(session_factory, "hello", "m-1")
    start = threading.Barrier(8)

    def claim(owner: str) -> answers.Claim:
        start.wait()
        with session_factory.begin() as session:
            return answers.claim(session, message_id, owner=owner, alive=lambda o: o != "dead-process")

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(claim, [f"p{i}" for i in range(8)]))
    assert outcomes.count(answers.Claim.CLAIMED) == 1
    assert outcomes.count(answers.Claim.BUSY) == 7


async def test_two_processes_racing_for_one_retry_answer_it_once(session_factory):
    message_id = stored_by_a_dead_process(session_factory, "where is my order", "m-1")
    assistant = ScriptedAssistant(delay=0.3)
    # Two routers are two processes: their own locks, each alive to the other.
    b = make_router(session_factory, assistant, owner="b", alive=lambda owner: owner in ("b", "c"))
    c = make_router(session_factory, assistant, owner="c", alive=lambda owner: owner in ("b", "c"))
    results = await asyncio.gather(
        b.handle(inbound("where is my order", message_id="m-1")),
        c.handle(inbound("where is my order", message_id="m-1")),
    )
    assert assistant.calls == ["where is my order"]
    assert [r.text for r in results[0]] == [r.text for r in results[1]] == ["echo: where is my order"]
    assert len(replies_to(session_factory, message_id)) == 1


class Pushed:
    name = "rest"

    def __init__(self) -> None:
        self.sent: list[tuple[str, list[str]]] = []

    async def deliver(self, sender_id, messages) -> None:
        self.sent.append((sender_id, [m.text for m in messages]))


async def test_start_up_answers_recent_messages_once_and_marks_old_ones(session_factory):
    old = stored_by_a_dead_process(session_factory, "an old question", "m-0", sender="c0")
    with session_factory.begin() as session:
        session.execute(update(Message).where(Message.id == old).values(created_at=utcnow() - timedelta(minutes=30)))
    recent = [stored_by_a_dead_process(session_factory, f"question {i}", f"m-{i}", sender=f"c{i}") for i in (1, 2)]
    assistant = ScriptedAssistant(delay=0.05)
    router = make_router(session_factory, assistant)
    channels, pushed = ChannelRegistry(), Pushed()
    channels.register(pushed)
    recovery = answer_left_over(router, session_factory, channels, window=timedelta(minutes=5), started=utcnow())
    # The customer's retry races the recovery: still one answer.
    answered, retried = await asyncio.gather(
        recovery, router.handle(inbound("question 1", sender="c1", message_id="m-1"))
    )
    assert sorted(assistant.calls) == ["question 1", "question 2"]
    assert [r.text for r in retried] == ["echo: question 1"]
    assert answered + len(pushed.sent) in (2 + 2, 1 + 1)  # the retry may have won message 1
    assert ("c2", ["echo: question 2"]) in pushed.sent
    for message_id in recent:
        assert len(replies_to(session_factory, message_id)) == 1
    with session_factory() as session:
        missed = session.get(Message, old)
    assert missed.missed_at is not None and missed.answered_at is None
    assert replies_to(session_factory, old) == []


async def test_staff_see_a_message_marked_missed_in_the_transcript(session_factory):
    message_id = stored_by_a_dead_process(session_factory, "an old question", "m-0")
    with session_factory.begin() as session:
        old = utcnow() - timedelta(minutes=30)
        session.execute(update(Message).where(Message.id == message_id).values(created_at=old))
        assert answers.mark_missed(session, before=utcnow() - timedelta(minutes=5)) == 1
    with session_factory() as session:
        conversation_id = session.get(Message, message_id).conversation_id
        view = conversation_view(session, conversation_id)
    assert [(entry.text, entry.missed) for entry in view.entries] == [("an old question", True)]
