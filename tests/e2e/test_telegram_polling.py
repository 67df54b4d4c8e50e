"""End to end over Telegram long polling: the real server and model against a fake Bot API."""

from __future__ import annotations

import itertools
from functools import partial

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.storage.models import Conversation, Customer, FaqFeedback, Message, SurveyResponse
from tests.support.domain_texts import response_texts as shop_response_texts
from tests.support.fake_telegram import (
    STICKER,
    FakeTelegram,
    callback_update,
    photo_update,
    started_shop_on_telegram,
    text_update,
    texts,
)

SHOP = "Test Shop & Co"
CES_QUESTION = yaml.safe_load(open("content/surveys.yml", encoding="utf-8"))["surveys"]["ces"]["question"]
UNREADABLE = "Sorry, I can only read text messages for now. Please type your question."
_chats = itertools.count(7001)
_messages = itertools.count(1)

response_texts = partial(shop_response_texts, shop=SHOP)


@pytest.fixture(scope="module")
def server(model_path, telegram, tmp_path_factory):
    with started_shop_on_telegram(telegram, tmp_path_factory.mktemp("telegram"), SHOP) as running:
        yield running


def say(telegram: FakeTelegram, chat_id: int, text: str) -> int:
    message_id = next(_messages)
    telegram.inject(text_update(telegram.next_update_id(), chat_id, message_id, text))
    return message_id


def stored(db: Session, chat_id: int) -> list[Message]:
    return (
        db.execute(
            select(Message)
            .join(Conversation)
            .join(Customer)
            .where(Customer.channel == "telegram", Customer.external_id == str(chat_id))
            .order_by(Message.id)
        )
        .scalars()
        .all()
    )


def faq_feedback(db: Session, chat_id: int) -> list[bool]:
    """The "did that help?" answers recorded for one Telegram chat."""
    return (
        db.execute(
            select(FaqFeedback.helpful).join(Conversation).join(Customer).where(Customer.external_id == str(chat_id))
        )
        .scalars()
        .all()
    )


def test_polling_starts_after_removing_any_webhook(server, telegram):
    assert telegram.calls_to("getMe")
    assert telegram.calls_to("deleteWebhook")
    assert not telegram.calls_to("setWebhook")


def test_the_menu_commands_are_registered_in_each_language(server, telegram):
    menus = {c.params.get("language_code"): c.params["commands"] for c in telegram.calls_to("setMyCommands")}
    assert set(menus) == {None, "en", "fa"}  # None: the default, for every other language
    for language, commands in menus.items():
        assert [c["command"] for c in commands] == ["start", "help", "human"], language
        assert all(c["description"] for c in commands)
    assert menus[None] == menus["en"] != menus["fa"]


def test_start_greets_with_the_main_topics(server, telegram):
    chat = next(_chats)
    say(telegram, chat, "/start")
    sent = telegram.wait_for(lambda: len(telegram.sent_to(chat)) >= 2 and telegram.sent_to(chat))
    assert sent[0].params["text"] in response_texts("utter_greet")
    keyboard = sent[1].params["reply_markup"]["inline_keyboard"]
    assert len(keyboard) == 6
    assert all(len(b["callback_data"].encode()) <= 64 for row in keyboard for b in row)


def test_faq_answer_then_yes_button_is_answered_edited_and_replied(server, telegram, db):
    chat = next(_chats)
    say(telegram, chat, "how long does delivery take?")
    sent = telegram.wait_for(lambda: len(telegram.sent_to(chat)) >= 2 and telegram.sent_to(chat))
    assert sent[0].params["text"] in response_texts("utter_faq/delivery_times")
    assert sent[1].params["text"] == "Did that answer your question?"
    titles = [b["text"] for row in sent[1].params["reply_markup"]["inline_keyboard"] for b in row]
    assert titles == ["Yes, thanks", "No"]

    telegram.inject(callback_update(telegram.next_update_id(), sent[1], "Yes, thanks", query_id="q-yes"))
    replies = telegram.wait_for(lambda: len(telegram.sent_to(chat)) >= 3 and telegram.sent_to(chat)[2:])
    assert replies[0].params["text"] in response_texts("utter_faq_helpful_yes")
    assert [c.params["callback_query_id"] for c in telegram.calls_to("answerCallbackQuery")].count("q-yes") == 1
    edit = [c for c in telegram.calls_to("editMessageText") if c.params["chat_id"] == chat]
    assert len(edit) == 1
    assert edit[0].params["message_id"] == sent[1].result["message_id"]
    assert edit[0].params["text"] == "Did that answer your question?\n\n✓ Yes, thanks"
    assert "reply_markup" not in edit[0].params  # the keyboard is gone
    assert faq_feedback(db, chat) == [True]


def test_a_second_tap_on_the_same_keyboard_is_answered_but_takes_no_effect(server, telegram, db):
    chat = next(_chats)
    say(telegram, chat, "how long do refunds take?")
    sent = telegram.wait_for(lambda: len(telegram.sent_to(chat)) >= 2 and telegram.sent_to(chat))
    telegram.inject(
        callback_update(telegram.next_update_id(), sent[1], "No", query_id="q-first"),
        callback_update(telegram.next_update_id(), sent[1], "Yes, thanks", query_id="q-second"),
    )

    def answered():
        return {c.params["callback_query_id"] for c in telegram.calls_to("answerCallbackQuery")}

    telegram.wait_for(lambda: {"q-first", "q-second"} <= answered())
    after = telegram.sent_to(chat)[2:]
    assert len(after) == 1 and after[0].params["text"] in response_texts("utter_faq_helpful_no")
    assert faq_feedback(db, chat) == [False]


def test_an_unknown_button_is_answered_and_changes_nothing(server, telegram, db):
    chat = next(_chats)
    update = {
        "update_id": telegram.next_update_id(),
        "callback_query": {
            "id": "q-forged",
            "from": {"id": chat, "is_bot": False, "first_name": "Eve"},
            "chat_instance": "x",
            "data": "b:1:0",  # message 1 was not sent to this chat
            "message": {"message_id": 1, "date": 0, "chat": {"id": chat, "type": "private"}, "text": "hi"},
        },
    }
    telegram.inject(update)
    answer = telegram.wait_for(
        lambda: [c for c in telegram.calls_to("answerCallbackQuery") if c.params["callback_query_id"] == "q-forged"]
    )
    assert "expired" in answer[0].params["text"]
    assert stored(db, chat) == []


def test_a_duplicate_update_is_answered_once_and_stored_once(server, telegram, db):
    chat = next(_chats)
    update = text_update(telegram.next_update_id(), chat, 501, "can I pay with paypal?")
    telegram.inject(update, update)  # Telegram delivering the same update twice
    telegram.wait_for(lambda: len(telegram.sent_to(chat)) >= 2)
    # A later message is answered after both copies were handled (one chat runs in order).
    say(telegram, chat, "do you sell gift cards")
    sent = telegram.wait_for(lambda: len(telegram.sent_to(chat)) >= 4 and telegram.sent_to(chat))
    assert sent[0].params["text"] in response_texts("utter_faq/payment_methods")
    assert sent[2].params["text"] in response_texts("utter_faq/gift_cards")
    assert len(sent) == 4
    rows = [m for m in stored(db, chat) if m.direction == "customer"]
    assert [m.text for m in rows] == ["can I pay with paypal?", "do you sell gift cards"]
    assert rows[0].external_id == "tg-501"


def test_a_429_on_send_is_retried_after_the_wait_and_delivered_once(server, telegram, db):
    chat = next(_chats)
    telegram.fail_next("sendMessage", 429)
    say(telegram, chat, "where is my order")
    sent = telegram.wait_for(lambda: len(telegram.sent_to(chat)) >= 2 and telegram.sent_to(chat))
    refused = [c for c in telegram.calls_to("sendMessage", ok_only=False) if c.status == 429]
    assert refused and refused[-1].params["chat_id"] == chat
    assert texts(sent)[0] == refused[-1].params["text"]
    assert sent[0].params["text"] in response_texts("utter_faq/order_status")
    assert texts(sent).count(sent[0].params["text"]) == 1
    assert len([m for m in stored(db, chat) if m.direction == "customer"]) == 1


def test_a_500_on_send_is_retried(server, telegram):
    chat = next(_chats)
    telegram.fail_next("sendMessage", 500)
    say(telegram, chat, "how do I reset my password")
    sent = telegram.wait_for(lambda: len(telegram.sent_to(chat)) >= 2 and telegram.sent_to(chat))
    assert sent[0].params["text"] in response_texts("utter_faq/account_password")
    assert len(sent) == 2


def test_a_photo_gets_the_polite_reply_and_is_stored(server, telegram, db):
    chat = next(_chats)
    photo = photo_update(telegram.next_update_id(), chat, 601, caption="it arrived broken")
    telegram.inject(photo, photo)
    telegram.wait_for(lambda: telegram.sent_to(chat))
    say(telegram, chat, "/help")  # handled after the photo: by then any second reply would be out
    sent = telegram.wait_for(lambda: len(telegram.sent_to(chat)) >= 2 and telegram.sent_to(chat))
    assert sent[0].params["text"] == UNREADABLE
    assert sent[1].params["text"] in response_texts("utter_help")
    rows = stored(db, chat)
    assert [(m.direction, m.text) for m in rows[:2]] == [("customer", "[photo] it arrived broken"), ("bot", UNREADABLE)]
    assert rows[0].external_id == "tg-601" and rows[0].intent is None


def test_a_sticker_and_an_edit_get_polite_replies(server, telegram, db):
    chat = next(_chats)
    telegram.inject(text_update(telegram.next_update_id(), chat, 701, "hello"))
    telegram.inject(
        {
            "update_id": telegram.next_update_id(),
            "message": {"message_id": 702, "date": 0, "chat": {"id": chat, "type": "private"}, "sticker": STICKER},
        }
    )
    telegram.inject(
        {
            "update_id": telegram.next_update_id(),
            "edited_message": {
                "message_id": 701,
                "date": 0,
                "edit_date": 1,
                "chat": {"id": chat, "type": "private"},
                "text": "hello again",
            },
        }
    )
    sent = telegram.wait_for(lambda: len(telegram.sent_to(chat)) >= 4 and telegram.sent_to(chat))
    assert sent[2].params["text"] == UNREADABLE
    assert "edits" in sent[3].params["text"]
    assert [m.text for m in stored(db, chat) if m.direction == "customer"] == [
        "hello",
        "[sticker]",
        "[edited] hello again",
    ]


def test_group_messages_are_ignored_by_default(server, telegram, db):
    group = -100123
    telegram.inject(text_update(telegram.next_update_id(), group, 801, "where is my order", chat_type="supergroup"))
    chat = next(_chats)
    say(telegram, chat, "hi")  # handled after the group message was read
    telegram.wait_for(lambda: telegram.sent_to(chat))
    assert telegram.sent_to(group) == []
    assert stored(db, group) == []


def test_long_answers_are_split_and_every_message_is_within_telegram_limits(server, telegram):
    for call in telegram.calls_to("sendMessage"):
        assert len(call.params["text"].encode("utf-16-le")) // 2 <= 4096
        assert "parse_mode" not in call.params  # plain text: nothing to escape


def test_a_question_during_a_survey_is_answered_and_the_older_keyboard_has_moved_on(server, telegram, db):
    chat = next(_chats)
    say(telegram, chat, "how long does delivery take?")
    sent = telegram.wait_for(lambda: len(telegram.sent_to(chat)) >= 2 and telegram.sent_to(chat))
    telegram.inject(callback_update(telegram.next_update_id(), sent[1], "Yes, thanks", query_id="q-helped"))
    ces = telegram.wait_for(lambda: [c for c in telegram.sent_to(chat) if c.params["text"] == CES_QUESTION])[0]

    say(telegram, chat, "do you ship to Norway?")
    again = telegram.wait_for(
        lambda: (
            len([c for c in telegram.sent_to(chat) if c.params["text"] == CES_QUESTION]) == 2 and telegram.sent_to(chat)
        )
    )
    assert again[-2].params["text"] in response_texts("utter_faq/international_delivery")
    assert again[-1].params["reply_markup"]["inline_keyboard"]

    telegram.inject(callback_update(telegram.next_update_id(), ces, "Easy", query_id="q-old-ces"))
    answer = telegram.wait_for(
        lambda: [c for c in telegram.calls_to("answerCallbackQuery") if c.params["callback_query_id"] == "q-old-ces"]
    )
    assert answer[0].params["text"].startswith("That question has moved on")
    telegram.inject(callback_update(telegram.next_update_id(), again[-1], "Easy", query_id="q-new-ces"))
    after = telegram.wait_for(lambda: len(telegram.sent_to(chat)) > len(again) and telegram.sent_to(chat)[len(again) :])
    assert after[0].params["text"] != CES_QUESTION  # answered: the next survey or thanks
    db.expire_all()
    answers = db.execute(
        select(SurveyResponse.kind, SurveyResponse.answer)
        .join(Conversation)
        .join(Customer)
        .where(Customer.external_id == str(chat), SurveyResponse.status == "answered")
    ).all()
    assert [tuple(a) for a in answers] == [("ces", "easy")]


def test_every_customer_message_is_stored_once(server, db):
    duplicates = db.execute(
        select(Message.conversation_id, Message.external_id, func.count())
        .where(Message.external_id.isnot(None))
        .group_by(Message.conversation_id, Message.external_id)
        .having(func.count() > 1)
    ).all()
    assert duplicates == []


def test_stopping_the_server_stops_polling_cleanly(server, telegram):
    """Runs last: SIGTERM ends the server cleanly, having confirmed the updates it handled."""
    assert server.stop() == 0
    assert "Traceback" not in server.log()
    last = telegram.calls_to("getUpdates")[-1]
    handled = max(u for c in telegram.calls_to("getUpdates") for u in [x["update_id"] for x in c.result] or [0])
    assert int(last.params.get("offset", 0)) == handled + 1
