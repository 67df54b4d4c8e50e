"""The staff chat's post about a request, in-process against the fake Bot API (which refuses an
edit that changes nothing, as Telegram does)."""

from __future__ import annotations

from aiohttp import web

from bot.app.settings import load_settings
from bot.channels.base import ChannelRegistry
from bot.channels.telegram import channel as telegram_channel
from bot.conversation.events import HandoffChanged
from bot.desk.telegram_staff import StaffChat
from bot.storage.database import get_session_factory, migrate
from bot.storage.models import HandoffRequest, StaffChatPost, utcnow
from tests.support.factories import add_conversation
from tests.support.fake_telegram import TOKEN, FakeTelegram

STAFF_CHAT = -100555


async def test_the_same_change_told_twice_edits_the_post_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'cxbot.db'}"
    migrate(url)
    sessions = get_session_factory(url)
    fake = FakeTelegram().start()
    settings = load_settings(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "CXBOT_TELEGRAM_API_URL": fake.url, "CXBOT_DATABASE_URL": url}
    )
    app = web.Application()
    channel = telegram_channel.setup(app, settings, ChannelRegistry())
    try:
        await channel.application.initialize()
        channel.ready.set()
        posted = await channel.bot.send_message(STAFF_CHAT, "🔔 c1 (rest) is waiting for a person")
        with sessions() as session:
            conversation = add_conversation(session, "c1")
            handoff = HandoffRequest(
                conversation_id=conversation.id, reason="customer_request", status="cancelled", closed_at=utcnow()
            )
            session.add(handoff)
            session.flush()
            session.add(
                StaffChatPost(chat_id=STAFF_CHAT, message_id=posted.message_id, handoff_id=handoff.id, kind="announce")
            )
            session.commit()
            event = HandoffChanged(handoff.id, conversation.id)
        staff = StaffChat(channel, STAFF_CHAT, desk=None, sessions=sessions)
        await staff.handoff_changed(event)
        await staff.handoff_changed(event)  # the desk catching up on a request that is over
    finally:
        await channel.application.shutdown()
        fake.stop()
    edits = fake.calls_to("editMessageText", ok_only=False)
    assert [c.status for c in edits] == [200]
    assert edits[0].params["text"].startswith("🔔 c1 (rest) is waiting for a person\nReason: customer request")
    assert edits[0].params["text"].endswith("↩️ Cancelled by the customer")
