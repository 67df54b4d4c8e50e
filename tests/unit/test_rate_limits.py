"""Rate limits and WebSocket caps on every customer channel: over the limit nothing is stored or
read by the assistant, the customer is told how long to wait, and the connection stays usable."""

from __future__ import annotations

from dataclasses import replace

import aiohttp
import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app.http_errors import json_errors
from bot.app.server import widget_history
from bot.app.settings import Settings
from bot.channels import rest
from bot.channels.base import ChannelRegistry
from bot.channels.limits import Guard, Limits, MemoryRateLimiter, Notices, Rate, SocketCounter, load_limits
from bot.channels.widget import routes as widget
from bot.storage.models import Message
from tests.support.content import project_content
from tests.support.fake_telegram import text_update
from tests.unit.test_telegram_channel import client as telegram_client  # noqa: F401  (fixture)
from tests.unit.test_telegram_channel import connect, fake, post  # noqa: F401
from tests.unit.test_widget_channel import VISITOR, make_router, ws_url


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def guard(clock: Clock, **limits) -> Guard:
    base = Limits(per_customer=Rate(2, 60), per_address=Rate(100, 60))
    return Guard(replace(base, **limits), MemoryRateLimiter(clock))


# ---------- the limiter ----------


async def test_the_window_slides_and_a_refused_message_is_not_counted():
    clock = Clock()
    limiter = MemoryRateLimiter(clock)
    rate = Rate(2, 60)
    assert await limiter.acquire([("a", rate)]) == 0
    clock.now += 10
    assert await limiter.acquire([("a", rate)]) == 0
    assert await limiter.acquire([("a", rate)]) == pytest.approx(50)
    assert await limiter.acquire([("b", rate)]) == 0  # another customer is not affected
    clock.now += 50
    assert await limiter.acquire([("a", rate)]) == 0  # the first message left the window
    assert await limiter.acquire([("a", rate)]) == pytest.approx(10)


async def test_one_key_at_its_limit_counts_nothing_on_the_others():
    clock = Clock()
    limiter = MemoryRateLimiter(clock)
    address, customer = ("address:1.2.3.4", Rate(1, 60)), ("customer:x", Rate(5, 60))
    assert await limiter.acquire([customer, address]) == 0
    assert await limiter.acquire([customer, address]) > 0
    assert await limiter.acquire([customer]) == 0
    # Only two messages were counted for the customer: three more fit under its limit of five.
    for _ in range(3):
        assert await limiter.acquire([customer]) == 0
    assert await limiter.acquire([customer]) > 0


async def test_quiet_keys_are_dropped_from_memory():
    clock = Clock()
    limiter = MemoryRateLimiter(clock)
    for n in range(MemoryRateLimiter.SWEEP_EVERY - 1):
        await limiter.acquire([(f"k{n}", Rate(5, 60))])
    clock.now += 61
    await limiter.acquire([("last", Rate(5, 60))])
    assert limiter.keys() == 1


def test_socket_caps_and_notices():
    sockets = SocketCounter()
    caps = [("visitor:a", 1), ("address:x", 2)]
    assert sockets.open(caps)
    assert not sockets.open(caps)
    assert sockets.open([("visitor:b", 1), ("address:x", 2)])
    assert not sockets.open([("visitor:c", 1), ("address:x", 2)])
    sockets.close(["visitor:a", "address:x"])
    assert sockets.open(caps)
    clock = Clock()
    notices = Notices(clock)
    assert notices.first(42, 30) and not notices.first(42, 30)
    clock.now += 31
    assert notices.first(42, 30)


def test_the_shipped_rules_and_both_languages_load():
    limits = load_limits(project_content_dir() / "privacy.yml")
    assert limits.per_customer == Rate(20, 60) and limits.per_address == Rate(120, 60)
    assert limits.slow_down_text("fa-IR") != limits.slow_down_text("en") == limits.slow_down_text(None)
    assert project_content().limits == limits


def project_content_dir():
    from bot.app.settings import PROJECT_DIR

    return PROJECT_DIR / "content"


# ---------- REST and the widget, with a real router and database ----------


def messages_stored(session_factory) -> int:
    with session_factory() as session:
        return session.execute(select(func.count()).select_from(Message)).scalar_one()


def make_app(session_factory, database_url, the_guard: Guard) -> web.Application:
    app = web.Application(middlewares=[json_errors])
    router = make_router(session_factory)
    rest.add_routes(app, router=lambda: router, guard=the_guard)
    widget.add_routes(
        app,
        Settings(database_url=database_url, max_message_chars=100),
        channels=ChannelRegistry(),
        router=lambda: router,
        history=widget_history(session_factory),
        guard=the_guard,
    )
    return app


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def client(session_factory, database_url, clock):
    app = make_app(session_factory, database_url, guard(clock, sockets_per_visitor=1, sockets_per_address=3))
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


async def test_rest_answers_429_with_retry_after_and_stores_nothing_over_the_limit(client, session_factory, clock):
    for n in range(2):
        response = await client.post("/webhooks/rest/webhook", json={"sender": "ann", "message": f"hi {n}"})
        assert response.status == 200
    stored = messages_stored(session_factory)
    response = await client.post("/webhooks/rest/webhook", json={"sender": "ann", "message": "one too many"})
    assert response.status == 429
    assert response.headers["Retry-After"] == "60"
    body = await response.json()
    assert body["code"] == "rate_limited" and body["retry_after"] == 60 and body["error"]
    assert messages_stored(session_factory) == stored
    # Another sender from the same address still gets through (its address limit is higher).
    assert (await client.post("/webhooks/rest/webhook", json={"sender": "bob", "message": "hi"})).status == 200
    clock.now += 60
    assert (await client.post("/webhooks/rest/webhook", json={"sender": "ann", "message": "later"})).status == 200


async def test_one_address_is_limited_across_its_senders(session_factory, database_url, clock):
    app = make_app(session_factory, database_url, guard(clock, per_address=Rate(3, 60)))
    async with TestClient(TestServer(app)) as test_client:
        statuses = []
        for n in range(5):
            body = {"sender": f"script-{n}", "message": "spam"}
            statuses.append((await test_client.post("/webhooks/rest/webhook", json=body)).status)
    assert statuses == [200, 200, 200, 429, 429]


async def test_the_widget_fallback_answers_429(client, session_factory):
    for n in range(2):
        body = {"type": "message", "id": f"r{n}", "text": "hi", "visitor": VISITOR}
        assert (await client.post("/widget/messages", json=body)).status == 200
    stored = messages_stored(session_factory)
    response = await client.post(
        "/widget/messages", json={"type": "message", "id": "r9", "text": "hi", "visitor": VISITOR}
    )
    assert response.status == 429 and response.headers["Retry-After"] == "60"
    assert (await response.json())["code"] == "rate_limited"
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # the page can read why
    assert messages_stored(session_factory) == stored


async def test_the_websocket_sends_an_error_with_the_wait_and_stays_open(client, session_factory, clock):
    async with client.ws_connect(ws_url()) as ws:
        for n in range(2):
            await ws.send_json({"type": "message", "id": f"w{n}", "text": "hi"})
            assert (await ws.receive_json())["type"] == "replies"
        stored = messages_stored(session_factory)
        await ws.send_json({"type": "message", "id": "w2", "text": "hi"})
        error = await ws.receive_json()
        assert error["type"] == "error" and error["code"] == "rate_limited"
        assert error["reply_to"] == "w2" and error["retry_after"] == 60 and error["retry"] is False
        assert messages_stored(session_factory) == stored
        clock.now += 60
        await ws.send_json({"type": "message", "id": "w3", "text": "hi"})
        assert (await ws.receive_json())["reply_to"] == "w3"


async def test_open_websockets_are_capped_per_visitor_and_per_address(client):
    async with client.ws_connect(ws_url()) as first:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await client.ws_connect(ws_url())
        assert refused.value.status == 429
        others = [await client.ws_connect(ws_url(visitor=f"{n}" * 20)) for n in (1, 2)]
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await client.ws_connect(ws_url(visitor="3" * 20))  # the address has three open
        for ws in others:
            await ws.close()
        await first.close()
    async with client.ws_connect(ws_url()) as again:  # closed sockets free their place
        assert not again.closed


async def test_an_idle_websocket_is_closed(session_factory, database_url, clock):
    app = make_app(session_factory, database_url, guard(clock, idle_seconds=0.2))
    async with TestClient(TestServer(app)) as test_client, test_client.ws_connect(ws_url()) as ws:
        closing = await ws.receive()
    assert closing.type == WSMsgType.CLOSE and closing.data == widget.CLOSE_IDLE


# ---------- Telegram ----------


async def test_a_telegram_chat_over_its_limit_hears_slow_down_once(telegram_client, fake):  # noqa: F811
    limits = project_content().limits
    telegram_client.channel.guard = Guard(replace(limits, per_customer=Rate(1, 60)), MemoryRateLimiter(Clock()))
    await connect(telegram_client)
    for n, text in enumerate(("salaam", "again", "and again")):
        update = text_update(10 + n, 77, 10 + n, text)
        update["message"]["from"]["language_code"] = "fa"  # the customer's app speaks Persian
        assert (await post(telegram_client, update)).status == 200
    assert (await post(telegram_client, text_update(20, 78, 20, "hi"))).status == 200
    assert (await post(telegram_client, text_update(21, 78, 21, "hi"))).status == 200
    assert [call.params["text"] for call in fake.sent_to(77)] == ["echo salaam", limits.slow_down_text("fa")]
    assert [call.params["text"] for call in fake.sent_to(78)] == ["echo hi", limits.slow_down_text("en")]
    # The messages over the limit never reached the router (which stores them and asks the model).
    assert [m.text for m in telegram_client.router.seen] == ["salaam", "hi"]


def test_behind_a_trusted_proxy_the_forwarded_address_counts():
    the_guard = Guard(Limits(), MemoryRateLimiter(), trusted_proxies=["10.0.0.1"])
    assert the_guard.address("10.0.0.1", "6.6.6.6, 203.0.113.9") == "203.0.113.9"
    assert the_guard.address("10.0.0.1", None) == "10.0.0.1"
    # Anyone else's X-Forwarded-For is their own claim, not believed.
    assert the_guard.address("198.51.100.7", "203.0.113.9") == "198.51.100.7"
