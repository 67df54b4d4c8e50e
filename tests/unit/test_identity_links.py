"""One customer across channels: "Continue on Telegram" through the fake Bot API, and staff merges."""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select
from telegram import Update

from bot.app.server import AppState, telegram_links
from bot.app.settings import load_settings
from bot.channels.base import ChannelRegistry
from bot.channels.telegram import channel as telegram_channel
from bot.channels.widget import telegram_link
from bot.conversation.messages import InboundMessage
from bot.people import persons
from bot.people.links import LinkTokens
from bot.people.start import DeepLinkStart
from bot.privacy import audit
from bot.storage.models import Conversation, Customer
from bot.storage.privacy import AuditEntry
from tests.support.content import project_content
from tests.support.fake_telegram import BOT_USER, TOKEN, FakeTelegram, text_update
from tests.support.routing import ScriptedAssistant, make_router
from tests.unit.test_desk_console import desk_app, signed_in  # noqa: F401 (desk_app is a fixture)

WORDS = project_content().people.words("en")
VISITOR = "visitor:abcdefghijklmnop"


def customer_id(session_factory, channel: str, external_id: str) -> int:
    with session_factory() as session:
        return session.execute(
            select(Customer.id).where(Customer.channel == channel, Customer.external_id == external_id)
        ).scalar_one()


async def test_a_widget_visitor_continues_on_telegram_and_a_token_works_once(session_factory, tmp_path):
    fake = FakeTelegram().start()
    settings = load_settings(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "CXBOT_TELEGRAM_API_URL": fake.url, "CXBOT_DATABASE_URL": "sqlite://"}
    )
    tokens = LinkTokens(b"test-secret")
    app = web.Application()
    channel = telegram_channel.setup(
        app,
        settings,
        ChannelRegistry(),
        deep_links=DeepLinkStart(session_factory, tokens, project_content().people),
    )
    state = AppState(settings, project_content(), Path("model"), session_factory, telegram=channel)
    telegram_link.add_route(app, settings, telegram_links(state, tokens))
    assistant = ScriptedAssistant()
    router = make_router(session_factory, assistant)
    await router.handle(InboundMessage(channel="widget", sender_id=VISITOR, text="my parcel is late", message_id="w1"))

    async def tap_start(update_id: int, chat_id: int, text: str) -> list[str]:
        update = Update.de_json(text_update(update_id, chat_id, update_id, text), channel.bot)
        await channel._on_update(update)
        return [c.params["text"] for c in fake.sent_to(chat_id)]

    try:
        async with TestClient(TestServer(app)) as client:
            await channel.run(router)
            response = await client.get("/widget/telegram-link", params={"visitor": VISITOR[len("visitor:") :]})
            url = (await response.json())["url"]
            match = re.fullmatch(rf"https://t\.me/{BOT_USER['username']}\?start=([0-9a-f-]+)", url)
            assert match, url
            token = match.group(1)
            [welcome] = await tap_start(1, 4343, f"/start {token}")
            assert welcome.startswith(WORDS["linked"]) and "You: my parcel is late" in welcome
            assert "Us: echo: my parcel is late" in welcome
            # The same token from another Telegram account, and a forged one: refused, nothing linked.
            assert await tap_start(2, 4344, f"/start {token}") == [WORDS["refused"]]
            forged = token[:-1] + ("0" if token[-1] != "0" else "1")
            assert await tap_start(3, 4345, f"/start {forged}") == [WORDS["refused"]]
            # A plain /start still goes to the assistant.
            await tap_start(4, 4346, "/start")
            assert assistant.calls[-1] == "/start"
            await channel.on_shutdown(app)
    finally:
        fake.stop()
    widget_id = customer_id(session_factory, "widget", VISITOR)
    with session_factory() as session:
        linked = persons.identity_ids(session, widget_id)
        assert linked == [widget_id, customer_id(session_factory, "telegram", "4343")]
        assert persons.identity_ids(session, customer_id(session_factory, "telegram", "4344")) == [
            customer_id(session_factory, "telegram", "4344")
        ]


async def test_staff_merge_two_profiles_and_undo_it(desk_app, session_factory):  # noqa: F811
    router = make_router(session_factory, ScriptedAssistant())
    await router.handle(InboundMessage(channel="widget", sender_id=VISITOR, text="hello", message_id="w1"))
    await router.handle(InboundMessage(channel="telegram", sender_id="5151", text="hi again", message_id="t1"))
    widget_id = customer_id(session_factory, "widget", VISITOR)
    telegram_id = customer_id(session_factory, "telegram", "5151")
    ana, mia = await signed_in(desk_app, "ana"), await signed_in(desk_app, "mia")
    assert (await ana.post(f"/desk/customers/{widget_id}/merge", {"other": str(telegram_id)})).status == 403
    assert (await mia.post(f"/desk/customers/{widget_id}/merge", {"other": str(widget_id)})).status == 400
    assert (await mia.post(f"/desk/customers/{widget_id}/merge", {"other": str(telegram_id)})).status == 303
    profile = await (await ana.get(f"/desk/customers/{widget_id}")).text()
    assert profile.count("data-customer=") == 2 and profile.count("data-conversation=") == 2
    with session_factory() as session:
        assert persons.identity_ids(session, telegram_id) == [widget_id, telegram_id]
        [merge] = persons.merges_of(session, widget_id)
        telegram_conversation = session.execute(
            select(Conversation.id).where(Conversation.customer_id == telegram_id)
        ).scalar_one()
    # The conversation's customer panel now speaks for the person, and links the whole profile.
    panel = await (await ana.get(f"/desk/conversations/{telegram_conversation}")).text()
    assert f'href="/desk/customers/{telegram_id}">Full profile (2 channels)' in panel
    assert (await mia.post(f"/desk/merges/{merge.id}/undo", {"back": str(widget_id)})).status == 303
    assert (await mia.post(f"/desk/merges/{merge.id}/undo")).status == 404  # once
    with session_factory() as session:
        assert persons.identity_ids(session, widget_id) == [widget_id]
        assert persons.identity_ids(session, telegram_id) == [telegram_id]
    profile = await (await mia.get(f"/desk/customers/{widget_id}")).text()
    assert profile.count("data-customer=") == 1 and "undone" in profile


async def test_a_merge_and_its_undo_are_in_the_audit_log(desk_app, session_factory):  # noqa: F811
    router = make_router(session_factory, ScriptedAssistant())
    await router.handle(InboundMessage(channel="widget", sender_id=VISITOR, text="hello", message_id="w1"))
    await router.handle(InboundMessage(channel="telegram", sender_id="5252", text="hi again", message_id="t1"))
    widget_id = customer_id(session_factory, "widget", VISITOR)
    telegram_id = customer_id(session_factory, "telegram", "5252")
    mia = await signed_in(desk_app, "mia")
    assert (await mia.post(f"/desk/customers/{widget_id}/merge", {"other": str(widget_id)})).status == 400
    assert (await mia.post(f"/desk/customers/{widget_id}/merge", {"other": str(telegram_id)})).status == 303
    with session_factory() as session:
        [merge] = persons.merges_of(session, widget_id)
    assert (await mia.post(f"/desk/merges/{merge.id}/undo", {"back": str(widget_id)})).status == 303
    assert (await mia.post(f"/desk/merges/{merge.id}/undo")).status == 404  # refused: nothing logged
    with session_factory() as session:
        rows = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
        logged = [(e.actor, e.action, e.subject, e.detail) for e in rows]
    assert logged == [
        ("mia", audit.PROFILES_MERGED, f"customer:{widget_id}", f"merge:{merge.id} moved:{telegram_id}"),
        ("mia", audit.MERGE_UNDONE, f"merge:{merge.id}", f"moved:{telegram_id}"),
    ]
