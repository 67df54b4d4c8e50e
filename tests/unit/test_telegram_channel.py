"""The channel in-process, with a stub router: failures, refusals and pushed messages.

No model is loaded; the Bot API is the local fake. The end-to-end modules cover the real server.
"""

from __future__ import annotations

import itertools

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app.settings import load_settings
from bot.channels.base import ChannelRegistry
from bot.channels.telegram import channel as telegram_channel
from bot.channels.telegram.replies import DEFAULT_REPLIES
from bot.conversation.messages import Button, InboundMessage, InvalidMessage, OutboundMessage
from bot.storage.database import migrate
from tests.support.fake_telegram import TOKEN, FakeTelegram, text_update

SECRET = "secret_1"


class StubRouter:
    def __init__(self) -> None:
        self.ids = itertools.count(1)
        self.failing = False
        self.seen: list[InboundMessage] = []

    async def handle(self, inbound: InboundMessage) -> list[OutboundMessage]:
        self.seen.append(inbound)
        if self.failing:
            raise RuntimeError("database is down")
        if len(inbound.text) > 10:
            raise InvalidMessage("'message' is longer than 10 characters", too_large=True)
        return [OutboundMessage(text=f"echo {inbound.text}", id=next(self.ids))]

    async def button_payload(self, channel, sender_id, message_id, index):
        return None

    async def bot_answers(self, channel, sender_id):
        return True

    async def keyboard_is_current(self, message_id, tap_id):
        return True

    async def all_delivered(self, message_ids):
        return False

    async def mark_delivered(self, message_ids):
        pass


@pytest.fixture
def fake():
    server = FakeTelegram().start()
    yield server
    server.stop()


CHANNELS = web.AppKey("channels", ChannelRegistry)


@pytest.fixture
async def client(fake, tmp_path):
    url = f"sqlite:///{tmp_path / 'cxbot.db'}"
    migrate(url)
    settings = load_settings(
        {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "CXBOT_TELEGRAM_API_URL": fake.url,
            "CXBOT_DATABASE_URL": url,
            "CXBOT_TELEGRAM_MODE": "webhook",
            "CXBOT_TELEGRAM_WEBHOOK_URL": "https://x.invalid/hook",
            "CXBOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
        }
    )
    app = web.Application()
    app[CHANNELS] = ChannelRegistry()
    channel = telegram_channel.setup(app, settings, app[CHANNELS])
    async with TestClient(TestServer(app)) as test_client:
        test_client.channel = channel
        test_client.router = StubRouter()
        yield test_client
        await channel.on_shutdown(app)


async def connect(client) -> None:
    await client.channel.run(client.router)


async def post(client, body):
    return await client.post(telegram_channel.WEBHOOK_PATH, json=body, headers={telegram_channel.SECRET_HEADER: SECRET})


async def test_before_connecting_the_webhook_answers_503_and_push_refuses(client, fake):
    response = await post(client, text_update(1, 42, 1, "hi"))
    assert response.status == 503
    assert "error" in await response.json()
    with pytest.raises(RuntimeError):
        await client.channel.deliver("42", [OutboundMessage(text="hello")])


async def test_a_failed_update_gets_503_so_telegram_sends_it_again(client, fake):
    await connect(client)
    client.channel.router.failing = True
    update = text_update(2, 42, 2, "hi")
    response = await post(client, update)
    assert response.status == 503
    assert fake.sent_to(42) == []
    client.channel.router.failing = False
    assert (await post(client, update)).status == 200
    assert [c.params["text"] for c in fake.sent_to(42)] == ["echo hi"]


async def test_a_message_the_router_refuses_gets_a_polite_reply(client, fake):
    await connect(client)
    assert (await post(client, text_update(3, 42, 3, "x" * 50))).status == 200
    assert [c.params["text"] for c in fake.sent_to(42)] == [DEFAULT_REPLIES["too_long"]]


async def test_an_expired_button_is_answered_with_a_notice(client, fake):
    await connect(client)
    tap = {
        "update_id": 4,
        "callback_query": {
            "id": "q9",
            "from": {"id": 42, "is_bot": False, "first_name": "Ann"},
            "chat_instance": "c",
            "data": "b:77:0",
            "message": {"message_id": 5, "date": 1, "chat": {"id": 42, "type": "private"}, "text": "?"},
        },
    }
    assert (await post(client, tap)).status == 200
    answer = fake.calls_to("answerCallbackQuery")[-1].params
    assert answer["callback_query_id"] == "q9"
    assert answer["text"] == DEFAULT_REPLIES["expired"]
    assert client.channel.router.seen == []


async def test_the_channel_pushes_through_the_registry(client, fake):
    await connect(client)
    registry: ChannelRegistry = client.server.app[CHANNELS]
    assert registry.names() == ["telegram"]
    staff_reply = OutboundMessage(text="Hi, Sam from the team here.", buttons=(Button("Thanks", "/thanks"),))
    assert await registry.deliver("telegram", "42", [OutboundMessage(text="A team member joined"), staff_reply])
    sent = fake.sent_to(42)
    assert [c.params["text"] for c in sent] == ["A team member joined", "Hi, Sam from the team here.\n\n• Thanks"]


def test_webhook_mode_needs_a_url_and_a_valid_secret():
    base = {"TELEGRAM_BOT_TOKEN": TOKEN, "CXBOT_TELEGRAM_MODE": "webhook"}
    for extra in [
        {},
        {"CXBOT_TELEGRAM_WEBHOOK_URL": "https://x.invalid/h"},
        {"CXBOT_TELEGRAM_WEBHOOK_URL": "https://x.invalid/h", "CXBOT_TELEGRAM_WEBHOOK_SECRET": "has space"},
    ]:
        with pytest.raises(ValueError):
            telegram_channel.check_settings(load_settings({**base, **extra}))
    with pytest.raises(ValueError):
        telegram_channel.check_settings(load_settings({"TELEGRAM_BOT_TOKEN": TOKEN, "CXBOT_TELEGRAM_MODE": "push"}))


def test_both_token_names_are_read_and_the_cxbot_one_wins():
    assert load_settings({"TELEGRAM_BOT_TOKEN": "a"}).telegram_bot_token == "a"
    assert load_settings({"CXBOT_TELEGRAM_BOT_TOKEN": "b"}).telegram_bot_token == "b"
    assert load_settings({"TELEGRAM_BOT_TOKEN": "a", "CXBOT_TELEGRAM_BOT_TOKEN": "b"}).telegram_bot_token == "b"
    assert load_settings({}).telegram_bot_token == ""


def test_without_a_token_there_is_no_telegram_channel():
    app = web.Application()
    registry = ChannelRegistry()
    assert telegram_channel.setup(app, load_settings({"TELEGRAM_BOT_TOKEN": ""}), registry) is None
    assert registry.names() == []


async def test_connecting_survives_telegram_failing_at_first(client, fake, monkeypatch):
    monkeypatch.setattr(telegram_channel, "START_RETRY_SECONDS", (0, 0))
    fake.fail_next("getMe", 500)
    fake.fail_next("setWebhook", 502)
    await client.channel.run(client.router)
    assert client.channel.ready.is_set()
    assert [c.status for c in fake.calls if c.method == "getMe"] == [500, 200]
    assert [c.status for c in fake.calls if c.method == "setWebhook"][-1] == 200
    assert (await post(client, text_update(5, 42, 5, "hi"))).status == 200
    assert [c.params["text"] for c in fake.sent_to(42)] == ["echo hi"]


async def test_a_rejected_token_stops_trying_and_keeps_the_token_out_of_the_log(client, fake, caplog):
    fake.token = "something-else"
    await client.channel.run(client.router)
    assert not client.channel.ready.is_set()
    assert len(fake.calls_to("getMe", ok_only=False)) == 1
    assert "rejected" in caplog.text and TOKEN not in caplog.text
