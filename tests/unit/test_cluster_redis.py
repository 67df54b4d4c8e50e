"""The cluster's Redis mechanisms with a real redis-server: two Nodes are two replicas."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from unittest import mock

import pytest
import redis.asyncio as aioredis
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from sqlalchemy import func, select

from bot.app import sweeper
from bot.app.cluster import node as node_module
from bot.app.cluster.fanout import Fanout
from bot.app.cluster.limits import SharedLoginLimiter, SharedRateLimiter
from bot.app.cluster.node import Node
from bot.app.cluster.telegram import once_per_update
from bot.app.cluster.wiring import Cluster
from bot.channels.limits import Guard, Limits, Rate
from bot.channels.telegram.channel import WEBHOOK_PATH
from bot.desk.console import routes as console_routes
from bot.desk.console.access import STATE as CONSOLE
from bot.privacy.retention import RetentionRules
from bot.storage.models import Message
from tests.support import redis_server
from tests.support.dashboard_data import add_fixed_data
from tests.support.e2e_server import free_port
from tests.unit.test_rate_limits import make_app, messages_stored
from tests.unit.test_widget_channel import VISITOR, ws_url

# The database tests here are about Redis: SQLite is enough (the database's side runs on both
# in test_rate_limits and test_retention).
ON_SQLITE = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def redis_url():
    if not redis_server.installed():
        pytest.fail("redis-server is not installed; make test installs it (scripts/setup-system)")
    server = redis_server.RedisServer()
    yield server.start()
    server.cleanup()


@pytest.fixture
async def nodes(redis_url):
    await Node(redis_url).redis.flushdb()
    pair = [Node(redis_url, owner="a"), Node(redis_url, owner="b")]
    yield pair
    for node in pair:
        await node.stop()


async def test_a_conversation_lock_is_held_by_one_replica_at_a_time(nodes):
    a, b = nodes
    order = []

    async def turn(node: Node, name: str) -> None:
        async with node.lock("rest:c1"):
            order.append(f"{name} in")
            await asyncio.sleep(0.2)
            order.append(f"{name} out")

    await asyncio.gather(turn(a, "a"), turn(b, "b"))
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


async def test_the_lock_of_a_dead_holder_expires(nodes, monkeypatch):
    a, b = nodes
    monkeypatch.setattr(node_module, "LOCK_TTL", 1)
    # A replica that took the lock and died: nobody renews or releases it.
    await a.redis.lock(f"{node_module.PREFIX}lock:rest:c1", timeout=1).acquire()
    async with b.lock("rest:c1"):
        pass  # had once the dead holder's lock expired


async def test_a_replica_is_alive_while_its_heartbeat_lasts(nodes):
    a, b = nodes
    assert not b.alive("a")
    a.start()
    await asyncio.sleep(0.1)
    assert await asyncio.to_thread(b.alive, "a")
    await a.stop()
    assert not await asyncio.to_thread(b.alive, "a")  # a clean stop removes it at once


async def test_the_polling_lease_moves_to_another_replica_when_its_holder_dies(nodes):
    a, b = nodes
    polling = {"a": False, "b": False}

    def follow(name: str):
        async def gain() -> None:
            polling[name] = True

        async def loss() -> None:
            polling[name] = False

        return {"on_gain": gain, "on_loss": loss}

    a.spawn(a.while_leased("poller", ttl_seconds=2, **follow("a")))
    await asyncio.sleep(0.2)
    b.spawn(b.while_leased("poller", ttl_seconds=2, **follow("b")))
    await asyncio.sleep(1)
    assert polling == {"a": True, "b": False}
    for task in a._tasks:  # a dies: no more renewals, the lease runs out
        task.cancel()
    deadline = asyncio.get_running_loop().time() + 10
    while not polling["b"]:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.1)


async def test_a_webhook_update_reaching_two_replicas_is_handled_once(nodes):
    handled = []
    release = asyncio.Event()
    clients = []
    for node in nodes:

        async def handler(request: web.Request, name=node.owner) -> web.Response:
            handled.append(name)
            await release.wait()
            return web.json_response({"ok": True})

        app = web.Application(middlewares=[once_per_update(node)])
        app.router.add_post(WEBHOOK_PATH, handler)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
    try:
        update = {"update_id": 77, "message": {"text": "hi"}}
        first = asyncio.ensure_future(clients[0].post(WEBHOOK_PATH, json=update))
        while not handled:
            await asyncio.sleep(0.01)
        # Delivered to replica b while a handles it: b asks Telegram to come back later.
        during = await clients[1].post(WEBHOOK_PATH, json=update)
        assert during.status == 503 and during.headers["Retry-After"]
        release.set()
        assert (await first).status == 200
        retried = await clients[1].post(WEBHOOK_PATH, json=update)
        assert retried.status == 200
        assert handled == ["a"]
    finally:
        for client in clients:
            await client.close()


async def test_failed_logins_count_across_replicas(nodes):
    a, b = nodes
    limits = [SharedLoginLimiter(node.sync, attempts=3, window_seconds=60) for node in nodes]
    for attempt in range(3):
        assert not limits[attempt % 2].blocked("ana", "10.0.0.1")
        limits[attempt % 2].failed("ana", "10.0.0.1")
    assert limits[0].blocked("ana", "10.0.0.1") and limits[1].blocked("ana", "10.0.0.1")
    assert not limits[1].blocked("bo", "10.0.0.1")
    limits[0].succeeded("ana", "10.0.0.1")
    assert not limits[1].blocked("ana", "10.0.0.1")


@pytest.mark.parametrize(
    "peer, trusted, address",
    [
        ("127.0.0.1", ("127.0.0.1",), "203.0.113.9"),  # behind HAProxy: the client it forwarded
        ("198.51.100.7", ("127.0.0.1",), "198.51.100.7"),  # anyone else cannot pick their address
        ("127.0.0.1", (), "127.0.0.1"),  # no proxy trusted: the peer
    ],
)
def test_login_limits_count_the_client_behind_a_trusted_proxy(peer, trusted, address):
    app = web.Application()
    app[CONSOLE] = SimpleNamespace(settings=SimpleNamespace(trusted_proxies=trusted))
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (peer, 4000) if name == "peername" else default
    request = make_mocked_request(
        "POST", "/desk/login", headers={"X-Forwarded-For": "10.9.9.9, 203.0.113.9"}, app=app, transport=transport
    )
    assert console_routes._address(request) == address


# ---------- message limits and the daily sweep, shared by the replicas ----------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_message_limits_count_once_across_replicas(nodes):
    clock = Clock()
    a, b = (SharedRateLimiter(node.redis, clock) for node in nodes)
    rate = Rate(3, 60)
    assert await a.acquire([("customer:ann", rate)]) == 0
    clock.now += 10
    assert await b.acquire([("customer:ann", rate)]) == 0
    assert await a.acquire([("customer:ann", rate)]) == 0
    # The fourth, on either replica, waits until the first message leaves the window.
    assert await b.acquire([("customer:ann", rate)]) == pytest.approx(50)
    assert await a.acquire([("customer:ann", rate)]) == pytest.approx(50)
    assert await b.acquire([("customer:bob", rate)]) == 0  # another customer is not affected
    clock.now += 50
    assert await b.acquire([("customer:ann", rate)]) == 0
    assert await a.acquire([("customer:ann", rate)]) == pytest.approx(10)
    # Refused messages were not counted: ann has three in the last minute, not five.
    assert await nodes[0].redis.zcard("cxbot:rate:customer:ann") == 3
    assert 0 < await nodes[0].redis.pttl("cxbot:rate:customer:ann") <= 60_000  # quiet keys expire


async def test_one_key_at_its_limit_counts_nothing_on_the_others_in_redis(nodes):
    a, b = (SharedRateLimiter(node.redis) for node in nodes)  # Redis's own clock
    address, customer = ("address:1.2.3.4", Rate(1, 60)), ("customer:x", Rate(5, 60))
    assert await a.acquire([customer, address]) == 0
    assert 59 < await b.acquire([customer, address]) <= 60
    assert await b.acquire([customer]) == 0
    for _ in range(3):
        assert await a.acquire([customer]) == 0
    assert await b.acquire([customer]) > 0


@ON_SQLITE
async def test_two_replicas_answer_429_on_one_shared_count(nodes, session_factory, database_url):
    apps = [
        make_app(session_factory, database_url, Guard(Limits(per_customer=Rate(2, 60)), SharedRateLimiter(node.redis)))
        for node in nodes
    ]
    async with TestClient(TestServer(apps[0])) as first, TestClient(TestServer(apps[1])) as second:
        for client, n in ((first, 0), (second, 1)):
            response = await client.post("/webhooks/rest/webhook", json={"sender": "ann", "message": f"hi {n}"})
            assert response.status == 200
        stored = messages_stored(session_factory)
        for client in (first, second):
            response = await client.post("/webhooks/rest/webhook", json={"sender": "ann", "message": "more"})
            assert response.status == 429 and 0 < int(response.headers["Retry-After"]) <= 60
            body = await response.json()
            assert body["code"] == "rate_limited" and body["retry_after"] == int(response.headers["Retry-After"])
        body = {"type": "message", "id": "r1", "text": "hi", "visitor": VISITOR}
        assert (await second.post("/widget/messages", json=body)).status == 200  # the widget's own count
        assert messages_stored(session_factory) > stored  # that one was stored ...
        stored = messages_stored(session_factory)
        async with first.ws_connect(ws_url()) as ws:
            await ws.send_json({"type": "message", "id": "w1", "text": "hi"})
            assert (await ws.receive_json())["type"] == "replies"
            await ws.send_json({"type": "message", "id": "w2", "text": "hi"})  # third for this visitor
            error = await ws.receive_json()
            assert error["code"] == "rate_limited" and error["reply_to"] == "w2" and error["retry_after"] > 0
        assert messages_stored(session_factory) == stored + 2  # ... and only w1 of these, with its reply


@ON_SQLITE
async def test_without_redis_a_message_waits_with_503_and_is_not_stored(session_factory, database_url):
    # Nothing listens on this port: Redis is down. The message is not let through uncounted.
    down = aioredis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    app = make_app(session_factory, database_url, Guard(Limits(), SharedRateLimiter(down)))
    try:
        async with TestClient(TestServer(app)) as client:
            response = await client.post("/webhooks/rest/webhook", json={"sender": "ann", "message": "hi"})
            assert response.status == 503 and response.headers["Retry-After"]
            assert "error" in await response.json()
            body = {"type": "message", "id": "r1", "text": "hi", "visitor": VISITOR}
            assert (await client.post("/widget/messages", json=body)).status == 503
            async with client.ws_connect(ws_url()) as ws:
                await ws.send_json({"type": "message", "id": "w1", "text": "hi"})
                error = await ws.receive_json()
                assert error["code"] == "busy" and error["retry"] is True and error["reply_to"] == "w1"
                assert not ws.closed
        assert messages_stored(session_factory) == 0
    finally:
        await down.close()


@ON_SQLITE
async def test_the_daily_sweep_runs_on_one_replica(nodes, session_factory, monkeypatch):
    with session_factory.begin() as session:
        add_fixed_data(session)
    rules = RetentionRules(message_text_days=1, inactive_customer_days=366, marker="[expired]")
    sweeps = []
    real_sweep = sweeper.sweep_now

    async def counted(*args, **kwargs) -> None:
        sweeps.append(1)
        await real_sweep(*args, **kwargs)

    monkeypatch.setattr(sweeper, "sweep_now", counted)
    replicas = [Cluster(node, Fanout(node)).once_a_day(sweeper.JOB) for node in nodes]
    ran = await asyncio.gather(*(sweeper.sweep_if_due(session_factory, rules, due=due) for due in replicas))
    assert sorted(ran) == [False, True] and len(sweeps) == 1
    with session_factory() as session:
        swept = session.execute(select(func.count()).where(Message.text == rules.marker)).scalar_one()
    assert swept > 0  # the fixed data's text is from before yesterday
    # The day's sweep is done: neither replica sweeps again until a day has passed.
    assert not any([await sweeper.sweep_if_due(session_factory, rules, due=due) for due in replicas])
    assert 0 < await nodes[0].redis.ttl(f"cxbot:once:{sweeper.JOB}") <= 24 * 3600


@ON_SQLITE
async def test_without_redis_the_replicas_skip_the_sweep_and_ask_again_later(session_factory):
    node = Node(f"redis://127.0.0.1:{free_port()}/0")
    try:
        due = Cluster(node, Fanout(node)).once_a_day(sweeper.JOB)
        assert not await sweeper.sweep_if_due(session_factory, RetentionRules(), due=due)
    finally:
        node.running = False
        await node.redis.close()
        await node.subscriber.close()
        node.sync.close()
