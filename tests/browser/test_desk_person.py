"""End to end: a widget customer (headless Chromium) continues on Telegram (the fake Bot API) by the
deep link; the staff member who takes their request sees both conversations in the customer panel,
and answers once on Telegram and once on the widget."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from bot.storage.models import Conversation, Customer, Message
from tests.support.browser import bubble, say, sign_in
from tests.support.desk_helpers import add_staff
from tests.support.fake_telegram import TOKEN, FakeTelegram, started_on_telegram, text_update

CHAT = 9101


@pytest.fixture(scope="module")
def server(model_path, telegram, tmp_path_factory):
    with started_on_telegram(telegram, tmp_path_factory.mktemp("person"), {"TELEGRAM_BOT_TOKEN": TOKEN}) as running:
        add_staff(running, "ana", "Ana")
        yield running


def on_telegram(telegram: FakeTelegram, text: str, message_id: int) -> str:
    """The customer writes to the bot on Telegram; returns the bot's first answer."""
    before = len(telegram.sent_to(CHAT))
    telegram.inject(text_update(telegram.next_update_id(), CHAT, message_id, text))
    calls = telegram.wait_for(lambda: telegram.sent_to(CHAT)[before:] or None)
    return calls[0].params["text"]


def agent_texts(db, channel: str) -> list[str]:
    db.expire_all()
    return list(
        db.execute(
            select(Message.text)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .join(Customer, Conversation.customer_id == Customer.id)
            .where(Customer.channel == channel, Message.direction == "agent", Message.staff_user_id.is_not(None))
            .order_by(Message.id)
        ).scalars()
    )


def test_staff_see_a_linked_customers_widget_and_telegram_conversations_and_answer_on_either(
    server, telegram, open_page, db
):
    customer, staff = open_page(), open_page()
    customer.goto(server.url + "/")
    customer.get_by_role("button", name=re.compile("^Open chat")).click()
    say(customer, "/human")
    expect(customer.locator(".log .msg.bot .bubble").filter(has_text="person from our team")).to_be_visible()
    visitor = customer.evaluate("localStorage.getItem('cxbot-widget:visitor')")

    # "Continue on Telegram": the deep link's token arrives with /start; then a message there.
    link = requests.get(f"{server.url}/widget/telegram-link", params={"visitor": visitor}, timeout=30).json()["url"]
    token = re.fullmatch(r"https://t\.me/\w+\?start=([0-9a-f-]+)", link).group(1)
    assert "/human" in on_telegram(telegram, f"/start {token}", 1)  # the welcome repeats the history
    on_telegram(telegram, "is my parcel coming today?", 2)

    sign_in(staff, server, "ana")
    staff.locator("table.queue tbody tr a").first.click()
    panel = staff.locator("aside .profile")
    expect(panel.locator("details.person-conversation")).to_have_count(2)
    on_tg = panel.locator("details.person-conversation[data-channel=telegram]")
    expect(panel.locator("details.person-conversation[data-channel=widget]")).to_have_count(1)
    expect(on_tg.get_by_text("is my parcel coming today?")).to_be_hidden()  # folded
    on_tg.locator("summary").click()
    expect(on_tg.get_by_text("is my parcel coming today?")).to_be_visible()
    expect(panel.locator(".trend figcaption")).to_be_visible()

    staff.get_by_role("button", name="Claim").click()
    answer_on = staff.get_by_label("Answer on")
    expect(answer_on.locator("option:checked")).to_contain_text("widget")  # the conversation's own channel
    db.expire_all()
    telegram_id = db.execute(
        select(Customer.id).where(Customer.channel == "telegram", Customer.external_id == str(CHAT))
    ).scalar_one()
    answer_on.select_option(value=str(telegram_id))
    staff.get_by_label(re.compile("^Reply to")).fill("Your parcel leaves today.")
    staff.get_by_role("button", name="Send").click()
    telegram.wait_for(lambda: [c for c in telegram.sent_to(CHAT) if c.params["text"] == "Your parcel leaves today."])

    staff.get_by_label(re.compile("^Reply to")).fill("And here on the website too.")
    staff.get_by_role("button", name="Send").click()  # the default again: the widget
    expect(bubble(customer, "agent", "And here on the website too.")).to_be_visible()
    expect(bubble(customer, "agent", "Your parcel leaves today.")).to_have_count(0)
    assert agent_texts(db, "telegram") == ["Your parcel leaves today."]
    assert agent_texts(db, "widget")[-1] == "And here on the website too."
    assert "Your parcel leaves today." not in agent_texts(db, "widget")
