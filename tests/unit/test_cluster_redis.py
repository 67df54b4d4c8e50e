"""The cluster's Redis mechanisms with a real redis-server: two Nodes are two replicas."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from unittest import mock

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from bot.app.cluster import node as node_module
from bot.app.cluster.limits import SharedLoginLimiter
from bot.app.cluster.node import Node
from bot.app.cluster.telegram import once_per_update
from bot.channels.telegram.channel import WEBHOOK_PATH
from bot.desk.console import routes as console_routes
from bot.desk.console.access import STATE as CONSOLE
from tests.support import redis_server


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
