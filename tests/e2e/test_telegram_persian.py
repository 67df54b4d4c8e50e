"""End to end over the fake Telegram Bot API in Persian: a customer whose Telegram is in Persian
gets /start, /help and /human answered in Persian with Persian keyboards; a staff member claims
the conversation in the console (which shows the FA badge), and the joined / left markers and the
CES question that follows reach the customer in Persian; a Persian button tap answers it."""

from __future__ import annotations

import itertools
import re

import pytest
from sqlalchemy import select

from bot.storage.models import Conversation, Customer, HandoffRequest, SurveyResponse
from tests.support.content import project_content
from tests.support.desk_helpers import add_staff, console_session
from tests.support.domain_texts import DOMAIN
from tests.support.fake_telegram import (
    FakeTelegram,
    callback_update,
    photo_update,
    started_shop_on_telegram,
    text_update,
    texts,
)

SHOP = "Northwind Shop"
FA = project_content().in_language("fa")
CUSTOMER = 7501
_messages = itertools.count(1)


def persian(response: str) -> set[str]:
    return {
        r["text"].replace("{shop_name}", SHOP)
        for r in DOMAIN.responses[response]
        if any(c.get("value") == "fa" for c in r.get("condition") or ())
    }


@pytest.fixture(scope="module")
def server(model_path, telegram, tmp_path_factory):
    with started_shop_on_telegram(telegram, tmp_path_factory.mktemp("telegram-fa"), SHOP) as running:
        add_staff(running, "sara", "Sara")
        yield running


def say(telegram: FakeTelegram, text: str) -> None:
    """The customer types `text` in a Telegram app set to Persian."""
    update = text_update(telegram.next_update_id(), CUSTOMER, next(_messages), text)
    update["message"]["from"]["language_code"] = "fa"
    telegram.inject(update)


def sent(telegram: FakeTelegram):
    return telegram.sent_to(CUSTOMER)


def keyboard(call) -> list[str]:
    return [b["text"] for row in call.params["reply_markup"]["inline_keyboard"] for b in row]


def test_a_persian_telegram_customer_from_start_to_a_person_and_back(server, telegram, db):
    say(telegram, "/start")
    greeting = telegram.wait_for(lambda: len(sent(telegram)) >= 2 and sent(telegram))
    assert greeting[0].params["text"] in persian("utter_greet")
    assert keyboard(greeting[1])[0] == "سفارش من کجاست؟" and len(keyboard(greeting[1])) == 6

    say(telegram, "/help")
    helped = telegram.wait_for(lambda: len(sent(telegram)) >= 3 and sent(telegram)[2:])
    assert helped[0].params["text"] in persian("utter_help")

    say(telegram, "/human")
    handoff = telegram.wait_for(lambda: len(sent(telegram)) >= 4 and sent(telegram)[3:])
    assert handoff[0].params["text"].startswith("از یکی از همکارانمان خواستم گفتگو را ادامه دهد.")

    db.expire_all()
    request = db.execute(
        select(HandoffRequest).join(Conversation).join(Customer).where(Customer.external_id == str(CUSTOMER))
    ).scalar_one()
    console = console_session(server, "sara")
    assert re.search(r'<span class="lang"[^>]*>FA</span>', console.get("/desk").text)

    assert console.post(f"/desk/handoffs/{request.id}/claim").status_code == 303
    telegram.wait_for(lambda: texts(sent(telegram))[-1] == FA.desk.say("joined", name="Sara"))
    assert console.post(f"/desk/handoffs/{request.id}/resolve").status_code == 303
    telegram.wait_for(
        lambda: texts(sent(telegram))[-2:] == [FA.desk.say("left", name="Sara"), FA.surveys.questions["ces"]]
    )
    question = sent(telegram)[-1]
    assert keyboard(question) == ["خیلی آسان", "آسان", "معمولی", "سخت", "خیلی سخت", "رد کردن"]

    telegram.inject(callback_update(telegram.next_update_id(), question, "آسان", query_id="q-fa-ces"))
    telegram.wait_for(lambda: FA.surveys.thanks in texts(sent(telegram)))
    db.expire_all()
    ces = db.execute(select(SurveyResponse).where(SurveyResponse.kind == "ces")).scalar_one()
    assert (ces.answer, ces.handled_by) == ("easy", "sara")
    assert db.execute(select(Customer.locale).where(Customer.external_id == str(CUSTOMER))).scalar_one() == "fa"


def test_a_photo_from_a_persian_telegram_gets_the_channels_reply_from_the_content(server, telegram):
    """The channel's own replies come from content/telegram.yml, in the user's Telegram language."""
    update = photo_update(telegram.next_update_id(), CUSTOMER + 1, next(_messages))
    update["message"]["from"]["language_code"] = "fa"
    telegram.inject(update)
    expected = project_content().telegram_replies.reply("fa", "unreadable")
    telegram.wait_for(lambda: texts(telegram.sent_to(CUSTOMER + 1)) == [expected])
    assert expected.startswith("ببخشید")
