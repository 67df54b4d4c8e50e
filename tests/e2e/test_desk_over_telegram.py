"""End to end over the fake Telegram Bot API: a Telegram customer asks for a person, the staff
chat is told, a linked staff member claims and answers from Telegram and hands back with
/resolve; an unlinked account can do none of it."""

from __future__ import annotations

import itertools
import re
import time

import pytest
import yaml
from sqlalchemy import select

from bot.storage.models import Conversation, Customer, HandoffRequest, Message, SurveyResponse
from tests.support.desk_helpers import add_staff, console_session
from tests.support.fake_telegram import TOKEN, FakeTelegram, started_on_telegram, text_update, texts

STAFF_CHAT = -1001234567
ANA_TELEGRAM = 9001
STRANGER = 9666
CES_QUESTION = yaml.safe_load(open("content/surveys.yml", encoding="utf-8"))["surveys"]["ces"]["question"]
_messages = itertools.count(100)


@pytest.fixture(scope="module")
def server(model_path, telegram, tmp_path_factory):
    with started_on_telegram(
        telegram,
        tmp_path_factory.mktemp("desk-telegram"),
        {"TELEGRAM_BOT_TOKEN": TOKEN, "CXBOT_TELEGRAM_STAFF_CHAT_ID": str(STAFF_CHAT)},
    ) as running:
        add_staff(running, "ana", "Ana", telegram_id=ANA_TELEGRAM)
        yield running


def staff_person(user_id: int, name: str) -> dict:
    return {"id": user_id, "is_bot": False, "first_name": name}


def group_message(bot_message: dict) -> dict:
    """A message the bot sent, as Telegram shows it inside the staff group."""
    return dict(bot_message, chat={"id": STAFF_CHAT, "type": "supergroup", "title": "Shop staff"})


def staff_says(telegram: FakeTelegram, user_id: int, name: str, text: str, reply_to: dict) -> None:
    update = {
        "update_id": telegram.next_update_id(),
        "message": {
            "message_id": next(_messages),
            "date": int(time.time()),
            "chat": {"id": STAFF_CHAT, "type": "supergroup", "title": "Shop staff"},
            "from": staff_person(user_id, name),
            "text": text,
            "reply_to_message": group_message(reply_to),
        },
    }
    if text.startswith("/"):
        update["message"]["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    telegram.inject(update)


def staff_taps_claim(telegram: FakeTelegram, user_id: int, name: str, announcement, query_id: str) -> None:
    message = group_message(announcement.result)
    data = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    telegram.inject(
        {
            "update_id": telegram.next_update_id(),
            "callback_query": {
                "id": query_id,
                "from": staff_person(user_id, name),
                "chat_instance": "staff",
                "message": message,
                "data": data,
            },
        }
    )


def customer_says(telegram: FakeTelegram, chat: int, text: str) -> None:
    telegram.inject(text_update(telegram.next_update_id(), chat, next(_messages), text))


def query_answer(telegram: FakeTelegram, query_id: str) -> str:
    calls = telegram.wait_for(
        lambda: [c for c in telegram.calls_to("answerCallbackQuery") if c.params["callback_query_id"] == query_id]
    )
    return calls[0].params.get("text", "")


def test_telegram_customer_and_telegram_staff_round_trip(server, telegram, db):
    customer = 7301
    customer_says(telegram, customer, "/human")
    telegram.wait_for(lambda: any("person from our team" in t for t in texts(telegram.sent_to(customer))))
    announcement = telegram.wait_for(lambda: telegram.sent_to(STAFF_CHAT))[0]
    assert "is waiting for a person" in announcement.params["text"]
    assert "Reason: customer request" in announcement.params["text"]
    assert "Ann (telegram)" in announcement.params["text"]
    assert "/human" in announcement.params["text"]  # the last messages

    # An account nobody linked cannot claim: it is told why, and the request stays open.
    staff_taps_claim(telegram, STRANGER, "Mallory", announcement, "q-stranger")
    assert "not linked to a staff user" in query_answer(telegram, "q-stranger")
    db.expire_all()
    assert db.execute(select(HandoffRequest.status)).scalars().all()[-1] == "open"

    staff_taps_claim(telegram, ANA_TELEGRAM, "Ana", announcement, "q-ana")
    assert query_answer(telegram, "q-ana").startswith("It's yours")
    telegram.wait_for(lambda: "A team member (Ana) has joined" in texts(telegram.sent_to(customer)))
    edited = telegram.wait_for(
        lambda: [c for c in telegram.calls_to("editMessageText") if c.params["chat_id"] == STAFF_CHAT]
    )
    assert edited[-1].params["text"].endswith("✋ With Ana") and "reply_markup" not in edited[-1].params

    # A second tap on the same button (another staff member, or a double tap) is told who has it.
    staff_taps_claim(telegram, ANA_TELEGRAM, "Ana", announcement, "q-again")
    assert query_answer(telegram, "q-again") == "Ana already has this conversation"

    staff_says(telegram, ANA_TELEGRAM, "Ana", "Hello, Ana here. What happened?", reply_to=announcement.result)
    telegram.wait_for(lambda: "Hello, Ana here. What happened?" in texts(telegram.sent_to(customer)))

    sent_before = len(telegram.sent_to(customer))
    typing_before = len(telegram.calls_to("sendChatAction"))
    customer_says(telegram, customer, "My parcel never arrived")
    relay = telegram.wait_for(
        lambda: [c for c in telegram.sent_to(STAFF_CHAT) if c.params["text"] == "💬 Ann: My parcel never arrived"]
    )[0]
    assert len(telegram.calls_to("sendChatAction")) == typing_before  # no bot reply follows: no "typing"
    assert relay.params["reply_parameters"]["message_id"] == announcement.result["message_id"]

    staff_says(telegram, STRANGER, "Mallory", "I'll take it from here", reply_to=relay.result)
    telegram.wait_for(lambda: any("not linked to a staff user" in t for t in texts(telegram.sent_to(STAFF_CHAT))))

    staff_says(telegram, ANA_TELEGRAM, "Ana", "/resolve", reply_to=relay.result)
    after = telegram.wait_for(
        lambda: len(telegram.sent_to(customer)) >= sent_before + 2 and texts(telegram.sent_to(customer))[sent_before:]
    )
    # While Ana had it the bot said nothing: the next messages are her leaving, then the CES question.
    assert after[:2] == ["A team member (Ana) has left", CES_QUESTION]
    assert "I'll take it from here" not in texts(telegram.sent_to(customer))
    # The staff post keeps who, why and the last words, and adds who resolved it and when.
    resolved = telegram.wait_for(
        lambda: [
            c
            for c in telegram.calls_to("editMessageText")
            if c.params["chat_id"] == STAFF_CHAT and "Resolved" in c.params["text"]
        ]
    )[-1].params["text"]
    assert announcement.params["text"].splitlines()[:2] == resolved.splitlines()[:2]
    assert "My parcel never arrived" in resolved
    assert re.search(r"\n\n✅ Resolved by Ana at \d{4}-\d\d-\d\d \d\d:\d\d UTC: back with the bot$", resolved)

    db.expire_all()
    stored = [
        (m.direction, m.text)
        for m in db.execute(
            select(Message)
            .join(Conversation)
            .join(Customer)
            .where(Customer.channel == "telegram", Customer.external_id == str(customer))
            .order_by(Message.id)
        ).scalars()
    ]
    joined = stored.index(("agent", "A team member (Ana) has joined"))
    left = stored.index(("agent", "A team member (Ana) has left"))
    assert stored[joined:left] == [
        ("agent", "A team member (Ana) has joined"),
        ("agent", "Hello, Ana here. What happened?"),
        ("customer", "My parcel never arrived"),
    ]
    assert stored[left + 1] == ("bot", CES_QUESTION)
    handoff = db.execute(select(HandoffRequest)).scalars().all()[-1]
    assert handoff.status == "resolved"
    assert (
        db.execute(
            select(SurveyResponse.handled_by).where(SurveyResponse.conversation_id == handoff.conversation_id)
        ).scalar_one()
        == "ana"
    )


def test_never_mind_while_queued_cancels_and_the_staff_post_says_so(server, telegram, db):
    customer = 7302
    before = len(telegram.sent_to(STAFF_CHAT))
    customer_says(telegram, customer, "/human")
    announcement = telegram.wait_for(lambda: telegram.sent_to(STAFF_CHAT)[before:])[0]
    assert announcement.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "Claim"
    customer_says(telegram, customer, "never mind, I found it")
    telegram.wait_for(
        lambda: "No problem, I've cancelled your request for a person." in " ".join(texts(telegram.sent_to(customer)))
    )
    edits = telegram.wait_for(
        lambda: [
            c
            for c in telegram.calls_to("editMessageText")
            if c.params["message_id"] == announcement.result["message_id"]
        ]
    )
    assert edits[-1].params["text"].endswith("Cancelled by the customer")
    staff_taps_claim(telegram, ANA_TELEGRAM, "Ana", announcement, "q-late")
    assert query_answer(telegram, "q-late") == "this request is cancelled"
    db.expire_all()
    conversation = db.execute(
        select(Conversation).join(Customer).where(Customer.external_id == str(customer))
    ).scalar_one()
    assert conversation.state == "bot"


def test_a_telegram_customer_answered_from_the_console(server, telegram, db):
    customer = 7303
    customer_says(telegram, customer, "/human")
    telegram.wait_for(lambda: any("person from our team" in t for t in texts(telegram.sent_to(customer))))
    db.expire_all()
    handoff = (
        db.execute(
            select(HandoffRequest).join(Conversation).join(Customer).where(Customer.external_id == str(customer))
        )
        .scalars()
        .all()[-1]
    )
    console = console_session(server, "ana")
    assert console.post(f"/desk/handoffs/{handoff.id}/claim").status_code == 303
    assert console.post(f"/desk/handoffs/{handoff.id}/reply", text="Ana from the console here.").status_code == 303
    telegram.wait_for(
        lambda: (
            texts(telegram.sent_to(customer))[-2:] == ["A team member (Ana) has joined", "Ana from the console here."]
        )
    )
    assert console.post(f"/desk/handoffs/{handoff.id}/resolve").status_code == 303
    telegram.wait_for(lambda: texts(telegram.sent_to(customer))[-2:] == ["A team member (Ana) has left", CES_QUESTION])
