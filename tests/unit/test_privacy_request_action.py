"""A customer's "delete my data" in chat: recorded once and queued for an admin, nothing erased."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.assistant.actions.action_record_privacy_request import ActionRecordPrivacyRequest
from bot.storage.models import Message
from bot.storage.privacy import PrivacyRequest
from tests.support.actions import run, user

pytestmark = pytest.mark.usefixtures("installed_action_context")


async def test_the_request_is_queued_once_and_nothing_is_erased(session_factory, conversation):
    with session_factory() as session:
        texts_before = session.execute(select(Message.text)).scalars().all()
    _, messages = await run(ActionRecordPrivacyRequest, [user("request_data_erasure")])
    assert [m["response"] for m in messages] == ["utter_privacy_request_recorded"]
    _, messages = await run(ActionRecordPrivacyRequest, [user("request_data_erasure")])
    assert [m["response"] for m in messages] == ["utter_privacy_request_waiting"]
    with session_factory() as session:
        requests = session.execute(select(PrivacyRequest)).scalars().all()
        assert [(r.kind, r.status, r.conversation_id) for r in requests] == [("erase", "open", conversation)]
        assert session.execute(select(Message.text)).scalars().all() == texts_before
