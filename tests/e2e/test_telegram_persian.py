"""End to end over the fake Telegram Bot API in Persian: a customer whose Telegram is in Persian
gets /start, /help and /human answered in Persian with Persian keyboards; a staff member claims
the conversation in the console (which shows the FA badge), and the joined / left markers and the
CES question that follows reach the customer in Persian; a Persian button tap answers it."""

from __future__ import annotations

import itertools
import re

import pytest
import requests
from sqlalchemy import select

from bot.storage.models import Conversation, Customer, HandoffRequest, SurveyResponse
from tests.support.content import project_content
from tests.support.desk_helpers import PASSWORD, add_staff
from tests.support.domain_texts import DOMAIN
from tests.support.e2e_server import RunningServer
from tests.support.fake_telegram import (
    TOKEN,
    FakeTelegram,
    callback_update,
    photo_update,
    started_on_telegram,
    text_update,
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
    with started_on_telegram(
        telegram, tmp_path_factory.mktemp("telegram-fa"), {"TELEGRAM_BOT_TOKEN": TOKEN, "CXBOT_SHOP_NAME": SHOP}
    ) as running:
        add_staff(running, "sara", "Sara")
        yield running


def say(telegram: FakeTelegram, text: str) -> None:
    """The customer types `text` in a Telegram app set to Persian."""
    update = text_update(telegram.next_update_id(), CUSTOMER, next(_messages), text)
    update["message"]["from"]["language_code"] = "fa"
    telegram.inject(update)


def sent(telegram: FakeTelegram):
    return telegram.sent_to(CUSTOMER)


def texts(calls) -> list[str]:
    return [c.params["text"] for c in calls]


def keyboard(call) -> list[str]:
    return [b["text"] for row in call.params["reply_markup"]["inline_keyboard"] for b in row]


def console_session(server: RunningServer, username: str) -> tuple[requests.Session, str, str]:
    """A console sign-in over plain HTTP, the Secure cookie passed by hand (as on localhost)."""
    browser = requests.Session()
    page = browser.get(f"{server.url}/desk/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    signed = browser.post(
        f"{server.url}/desk/login",
        allow_redirects=False,
        data={"csrf_token": token, "username": username, "password": PASSWORD},
        headers={"Cookie": f"cxdesk_login={token}"},
    )
    assert signed.status_code == 303, signed.text
    cookie = f"cxdesk_session={signed.cookies['cxdesk_session']}"
    queue = browser.get(f"{server.url}/desk", headers={"Cookie": cookie})
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)">', queue.text).group(1)
    return browser, cookie, csrf


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
    browser, cookie, csrf = console_session(server, "sara")
    queue = browser.get(f"{server.url}/desk", headers={"Cookie": cookie}).text
    assert re.search(r'<span class="lang"[^>]*>FA</span>', queue)

    def post(path: str, **data):
        return browser.post(
            f"{server.url}{path}", data={"csrf_token": csrf, **data}, headers={"Cookie": cookie}, allow_redirects=False
        )

    assert post(f"/desk/handoffs/{request.id}/claim").status_code == 303
    telegram.wait_for(lambda: texts(sent(telegram))[-1] == FA.desk.say("joined", name="Sara"))
    assert post(f"/desk/handoffs/{request.id}/resolve").status_code == 303
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
