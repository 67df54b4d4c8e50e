"""The desk's customer panel as a person's profile (bot/desk/profile.py), and staff answering a
linked customer on another of their channels: recorded there, delivered there."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from aiohttp import web
from sqlalchemy import select
from telegram import Update

from bot.app.settings import load_settings
from bot.channels.telegram import channel as telegram_channel
from bot.conversation.events import MessageForHolder
from bot.conversation.messages import InboundMessage
from bot.desk.profile import Trend, person_profile
from bot.people import persons
from bot.storage.models import Conversation, Customer, Message, StaffNote, SurveyResponse
from tests.support.factories import add_complaint_case
from tests.support.fake_telegram import TOKEN, FakeTelegram, text_update
from tests.unit.test_desk_console import (
    RecordingChannel,
    add_pending_compensation,
    customer_waiting,
    desk_app,
    signed_in,
)

__all__ = ["desk_app"]


class TelegramRecording(RecordingChannel):
    name = "telegram"


def _ids(session_factory, sender: str) -> tuple[int, int]:
    """(customer id, latest conversation id) of a sender on any channel."""
    with session_factory() as session:
        customer = session.execute(select(Customer).where(Customer.external_id == sender)).scalar_one()
        latest = (
            session.execute(
                select(Conversation.id).where(Conversation.customer_id == customer.id).order_by(Conversation.id.desc())
            )
            .scalars()
            .first()
        )
        return customer.id, latest


async def linked_customer(desk_app) -> dict[str, int]:
    """A widget customer waiting for a person, linked to a Telegram identity with a history."""
    conversation_id, handoff_id = await customer_waiting(desk_app, "visitor-9", "where is my parcel")
    router = desk_app.router
    hello = InboundMessage(channel="telegram", sender_id="777", text="hello from telegram", message_id="t1")
    await router.handle(hello)
    sessions = router._sessions
    widget_id, _ = _ids(sessions, "visitor-9")
    telegram_id, telegram_conversation = _ids(sessions, "777")
    with sessions.begin() as session:
        persons.link(session, widget_id, telegram_id, how="telegram_link")
        tg = session.get(Conversation, telegram_conversation)
        add_complaint_case(session, tg, "damaged_item", "recovered", order_number="A-17", remedy="replacement")
        add_pending_compensation(session, tg, "CX-PERSON1", "p1", kind="coupon", percent=10, category="damaged_item")
        answered = datetime(2026, 11, 3, 10, 0, tzinfo=timezone.utc)
        session.add(
            SurveyResponse(
                conversation_id=tg.id, customer_id=telegram_id, kind="nps", status="answered", score=4,
                comment="slow delivery", answered_at=answered,
            )
        )  # fmt: skip
        session.add(StaffNote(conversation_id=tg.id, author_id=None, text="courier called"))
    return {
        "conversation": conversation_id,
        "handoff": handoff_id,
        "widget": widget_id,
        "telegram": telegram_id,
        "telegram_conversation": telegram_conversation,
    }


async def test_the_panel_shows_the_whole_person(desk_app, session_factory):
    ids = await linked_customer(desk_app)
    ana = await signed_in(desk_app, "ana")
    assert (await ana.post(f"/desk/handoffs/{ids['handoff']}/claim")).status == 303  # for the reply form
    html = await (await ana.get(f"/desk/conversations/{ids['conversation']}")).text()
    panel = html[html.index("<aside>") :]
    # Both channels' conversations, folded, each expandable with its messages.
    assert f'data-conversation="{ids["conversation"]}" data-channel="widget"' in panel
    assert f'data-conversation="{ids["telegram_conversation"]}" data-channel="telegram"' in panel
    assert panel.count('<details class="person-conversation"') == 2
    assert "where is my parcel" in panel and "hello from telegram" in panel
    # Complaints with their outcome, compensation with its status, surveys over time, notes.
    assert re.search(r"damaged item \(high\), order A-17 → <strong>recovered</strong>, replacement", panel)
    assert "CX-PERSON1: coupon 10% → <strong>pending approval</strong>" in panel
    assert "03 Nov 2026 NPS 4" in panel and "slow delivery" in panel
    assert "courier called" in panel and f"#{ids['telegram_conversation']}" in panel
    # The reply form offers both channels, this conversation's first choice.
    assert f'<option value="{ids["widget"]}" selected>widget:' in html
    assert f'<option value="{ids["telegram"]}">telegram:' in html
    assert "comes to you, not the bot, until you hand back" in html  # what answering elsewhere does


def test_the_sentiment_trend_is_an_inline_svg_of_the_scored_messages(session_factory):
    trend = Trend([-1.0, 0.0, 1.0])
    assert trend.points == "0.0,38.0 80.0,20.0 160.0,2.0"  # -1 at the bottom, +1 at the top
    assert trend.summary == "first -1.00, latest +1.00 (3 messages)"
    assert Trend().points == "" and Trend().summary == "no scored messages"
    with session_factory.begin() as session:
        customer = Customer(channel="widget", external_id="v-trend")
        session.add(customer)
        session.flush()
        conversation = Conversation(customer_id=customer.id, channel="widget")
        session.add(conversation)
        session.flush()
        for n, polarity in enumerate((-0.5, None, 0.25)):
            session.add(Message(conversation_id=conversation.id, direction="customer", text=f"m{n}", polarity=polarity))
        session.flush()
        profile = person_profile(session, customer.id)
    assert profile.trend.values == [-0.5, 0.25]


async def test_staff_answer_on_the_persons_other_channel(desk_app, session_factory):
    telegram = TelegramRecording()
    desk_app.desk.channels.register(telegram)
    ids = await linked_customer(desk_app)
    ana = await signed_in(desk_app, "ana")
    assert (await ana.post(f"/desk/handoffs/{ids['handoff']}/claim")).status == 303
    reply = f"/desk/handoffs/{ids['handoff']}/reply"
    assert (await ana.post(reply, {"text": "Sent to Telegram", "via": str(ids["telegram"])})).status == 303
    assert (await ana.post(reply, {"text": "Back on the widget"})).status == 303  # the default
    assert (await ana.post(reply, {"text": "Here too", "via": str(ids["widget"])})).status == 303
    assert telegram.texts("777") == ["Sent to Telegram"]
    assert desk_app.channel.texts("visitor-9")[-2:] == ["Back on the widget", "Here too"]
    with session_factory() as session:

        def agent_texts(conversation_id: int) -> list[str]:
            return list(
                session.execute(
                    select(Message.text)
                    .where(Message.conversation_id == conversation_id, Message.direction == "agent")
                    .order_by(Message.id)
                ).scalars()
            )

        assert agent_texts(ids["telegram_conversation"]) == ["Sent to Telegram"]
        assert "Sent to Telegram" not in agent_texts(ids["conversation"])
        assert agent_texts(ids["conversation"])[-2:] == ["Back on the widget", "Here too"]
    # A customer who is not this person's is refused, and nothing is sent anywhere.
    _, other_handoff = await customer_waiting(desk_app, "visitor-x", "someone else")
    stranger, _ = _ids(session_factory, "visitor-x")
    response = await ana.post(reply, {"text": "wrong person", "via": str(stranger)})
    assert response.status == 409 and "not this customer" in await response.text()
    assert "wrong person" not in desk_app.channel.texts("visitor-x") + telegram.texts("777")


async def test_the_persons_other_conversation_joins_the_handoff_until_handed_back(desk_app, session_factory):
    """After Ana answers on Telegram, the customer's Telegram messages go to Ana, not the bot; once
    she hands back, the bot answers on Telegram again."""
    telegram = TelegramRecording()
    desk_app.desk.channels.register(telegram)
    heard: list[MessageForHolder] = []

    async def hear(event: MessageForHolder) -> None:
        heard.append(event)

    desk_app.desk._events.subscribe(MessageForHolder, hear)
    ids = await linked_customer(desk_app)
    ana = await signed_in(desk_app, "ana")
    assert (await ana.post(f"/desk/handoffs/{ids['handoff']}/claim")).status == 303
    reply = f"/desk/handoffs/{ids['handoff']}/reply"
    assert (await ana.post(reply, {"text": "Sent to Telegram", "via": str(ids["telegram"])})).status == 303
    asked = InboundMessage(channel="telegram", sender_id="777", text="did the courier call?", message_id="t2")
    assert (await desk_app.router.handle(asked)) == []  # the bot stays silent: Ana has it
    with session_factory() as session:
        joined = session.get(Conversation, ids["telegram_conversation"])
        assert joined.state == "with_human"
        stored = session.execute(
            select(Message.id).where(Message.conversation_id == joined.id, Message.text == "did the courier call?")
        ).scalar_one()
    assert [(e.handoff_id, e.conversation_id, e.message_id) for e in heard] == [
        (ids["handoff"], ids["telegram_conversation"], stored)
    ]
    assert (await ana.post(f"/desk/handoffs/{ids['handoff']}/resolve")).status == 303
    with session_factory() as session:
        assert session.get(Conversation, ids["telegram_conversation"]).state == "bot"
    again = InboundMessage(channel="telegram", sender_id="777", text="hello again", message_id="t3")
    assert await desk_app.router.handle(again)  # the bot answers on Telegram again
    assert len(heard) == 1


async def test_through_the_bot_api_the_joined_chat_waits_for_staff_not_the_bot(desk_app, session_factory):
    """The same through the fake Bot API: the reply reaches the Telegram chat; what the customer
    writes there next gets no bot answer until Ana hands back; then the bot answers again."""
    fake = FakeTelegram().start()
    settings = load_settings(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "CXBOT_TELEGRAM_API_URL": fake.url, "CXBOT_DATABASE_URL": "sqlite://"}
    )
    app = web.Application()
    channel = telegram_channel.setup(app, settings, desk_app.desk.channels)

    async def write(update_id: int, text: str) -> list[str]:
        await channel._on_update(Update.de_json(text_update(update_id, 4343, update_id, text), channel.bot))
        return [c.params["text"] for c in fake.sent_to(4343)]

    try:
        await channel.run(desk_app.router)
        _, handoff_id = await customer_waiting(desk_app, "visitor-9", "where is my parcel")
        assert await write(1, "hello from telegram")  # the bot answers a chat nobody has
        with session_factory.begin() as session:
            persons.link(
                session, _ids(session_factory, "visitor-9")[0], _ids(session_factory, "4343")[0], how="telegram_link"
            )
        ana = await signed_in(desk_app, "ana")
        assert (await ana.post(f"/desk/handoffs/{handoff_id}/claim")).status == 303
        via = str(_ids(session_factory, "4343")[0])
        assert (await ana.post(f"/desk/handoffs/{handoff_id}/reply", {"text": "On Telegram", "via": via})).status == 303
        sent = await write(2, "did the courier call?")
        assert sent[-1] == "On Telegram"  # nothing from the bot after Ana's reply
        assert (await ana.post(f"/desk/handoffs/{handoff_id}/resolve")).status == 303
        after = await write(3, "hello again")
        assert len(after) > len(sent)  # handed back: the bot answers on Telegram again
        await channel.on_shutdown(app)
    finally:
        fake.stop()
