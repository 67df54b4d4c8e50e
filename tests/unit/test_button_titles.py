"""A customer's button tap is stored with the title they saw; people read the title, analysts keep the payload."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from bot.conversation import store
from bot.conversation.messages import Button, InboundMessage, OutboundMessage
from bot.storage.models import Message, SurveyResponse, utcnow
from bot.storage.titles import readable, tapped_title
from feedback.exports import export_csv
from feedback.metrics import Filters
from tests.support.factories import add_conversation

CES_EASY = '/survey_answer{"survey_value":"ces:very_easy"}'
NPS_SIX = '/survey_answer{"survey_value":"nps:6"}'


@pytest.mark.parametrize(
    "text, shown",
    [
        ("/human", "/human"),  # a bare command may have been typed: shown as it is
        ('/survey_answer{"survey_value":"nps:6"}', "survey answer: nps:6"),
        ("/broken{not json", "/broken{not json"),
        ("where is my parcel?", "where is my parcel?"),
        ("1/2 of my order {missing}", "1/2 of my order {missing}"),
    ],
)
def test_a_payload_no_button_explains_reads_in_words(text, shown):
    assert readable(text) == shown


def test_the_newest_bot_message_with_the_payload_gives_the_title():
    newest = '{"buttons": [{"title": "6", "payload": "/survey_answer{\\"survey_value\\":\\"nps:6\\"}"}]}'
    older = '{"buttons": [{"title": "six (old wording)", "payload": "/survey_answer{\\"survey_value\\":\\"nps:6\\"}"}]}'
    assert tapped_title(NPS_SIX, [None, "not json", newest, older]) == "6"
    assert tapped_title("/greet", [newest]) is None


def _tap(session, conversation, text: str, number: int):
    inbound = InboundMessage(channel="rest", sender_id="alice", text=text, message_id=f"m{number}")
    stored = store.record_inbound(session, inbound, text=text, sentiment=None, timeout=timedelta(hours=1))
    assert stored.conversation_id == conversation.id
    return stored.message_id


def test_a_tap_is_stored_with_its_title_and_the_survey_export_shows_both(session_factory):
    with session_factory.begin() as session:
        conversation = add_conversation(session, "alice")
        question = OutboundMessage(
            text="How easy was it?",
            buttons=(Button("Very easy", CES_EASY), Button("Skip", '/survey_answer{"survey_value":"ces:skipped"}')),
        )
        store.write_messages(session, conversation.id, [question])
        tapped = _tap(session, conversation, CES_EASY, 1)
        untitled = _tap(session, conversation, '/choose_topic{"topic":"returns"}', 2)
        session.add(
            SurveyResponse(
                conversation_id=conversation.id,
                customer_id=conversation.customer_id,
                kind="ces",
                status="answered",
                score=2,
                answer="very_easy",
                answered_at=utcnow(),
            )
        )
    with session_factory() as session:
        rows = store.latest_conversation(session, channel="rest", sender_id="alice", limit=10)
        by_id = {row.id: row for row in rows}
        assert by_id[tapped].message.text == CES_EASY  # the payload stays what Rasa read
        assert session.get(Message, tapped).shown_text == "Very easy"
        assert session.get(Message, untitled).shown_text == "choose topic: returns"
        text = export_csv("surveys", session, Filters(utcnow() - timedelta(days=1), utcnow() + timedelta(days=1)))
    (row,) = csv.DictReader(io.StringIO(text))
    assert (row["answer"], row["answer_title"], row["score"]) == ("very_easy", "Very easy", "2")
