"""Two replicas on one PostgreSQL and one Redis, behind HAProxy: order, pushes, claims, login and
message limits, a Redis restart and a PostgreSQL stop across replicas; last, a replica killed in the
middle of traffic."""

from __future__ import annotations

import asyncio
import json
import signal
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import aiohttp
import pytest
import requests
import yaml
from sqlalchemy import create_engine, select

from bench.limits import bench_content
from bot.storage.models import Conversation, Customer, HandoffRequest, Message
from tests.support import haproxy_server, redis_server
from tests.support.cluster import cluster, login_status, signed_in
from tests.support.desk_helpers import PASSWORD, add_staff
from tests.support.traffic import Traffic

KILL_AFTER_ANSWERS = 50


@pytest.fixture(scope="module")
def replicas(model_path, postgres, tmp_path_factory):
    if not (redis_server.installed() and haproxy_server.installed()):
        pytest.fail("redis-server or haproxy is not installed; make test installs them (scripts/setup-system)")
    with cluster(postgres, tmp_path_factory.mktemp("cluster"), replicas=2) as running:
        add_staff(running.replicas[0], "ana", "Ana")
        add_staff(running.replicas[0], "bo", "Bo")
        yield running


def send(url: str, sender: str, text: str, message_id: str | None = None) -> requests.Response:
    body = {"sender": sender, "message": text, **({"message_id": message_id} if message_id else {})}
    return requests.post(f"{url}/webhooks/rest/webhook", json=body, timeout=90)


def rows(database_url: str, sender: str) -> list:
    engine = create_engine(database_url, future=True)
    with engine.connect() as connection:
        found = connection.execute(
            select(Message)
            .join(Conversation, Message.conversation_id == Conversation.id)
            .join(Customer, Conversation.customer_id == Customer.id)
            .where(Customer.external_id == sender)
            .order_by(Message.id)
        ).all()
    engine.dispose()
    return found


def assert_answered_once_in_order(found: list) -> None:
    """Each customer message answered by one turn, each turn after the one before."""
    customer = [row for row in found if row.direction == "customer"]
    assert all(row.answered_at is not None for row in customer)
    blocks = []
    for row in customer:
        replies = [reply for reply in found if reply.reply_to_id == row.id]
        assert replies, row.text
        assert len({reply.created_at for reply in replies}) == 1  # one turn
        blocks.append([reply.id for reply in replies])
    assert all(max(before) < min(after) for before, after in zip(blocks, blocks[1:], strict=False))
    # Not interleaved: a message's replies come before the next customer message is answered.
    assert all(row.id < min(block) for row, block in zip(customer, blocks, strict=True))


def test_one_customers_messages_sent_to_two_replicas_at_once_are_answered_in_order(replicas):
    a, b = replicas.replicas
    questions = ["how much is shipping", "can I pay with paypal?", "I forgot my password"] * 2
    with ThreadPoolExecutor(len(questions)) as pool:
        responses = list(
            pool.map(lambda i: send((a, b)[i % 2].url, "alternating", questions[i], f"alt-{i}"), range(len(questions)))
        )
    assert all(r.status_code == 200 and r.json() for r in responses)
    found = rows(replicas.database_url, "alternating")
    assert len([row for row in found if row.direction == "customer"]) == len(questions)
    assert_answered_once_in_order(found)


async def widget_escalated(url: str, visitor: str):
    """A widget customer on the replica at `url` who asked for a person; the open socket."""
    session = aiohttp.ClientSession()
    ws = await session.ws_connect(f"{url.replace('http', 'ws')}/widget/ws?visitor={visitor}")
    await ws.send_json({"type": "message", "id": "1", "text": "/human"})
    while (await ws.receive_json(timeout=60)).get("type") != "replies":
        pass
    return session, ws


def handoff_of(database_url: str, visitor: str) -> tuple[int, int]:
    engine = create_engine(database_url, future=True)
    with engine.connect() as connection:
        row = connection.execute(
            select(HandoffRequest.id, HandoffRequest.conversation_id)
            .join(Conversation, HandoffRequest.conversation_id == Conversation.id)
            .join(Customer, Conversation.customer_id == Customer.id)
            .where(Customer.external_id == f"visitor:{visitor}")
        ).one()
    engine.dispose()
    return row.id, row.conversation_id


def sse_events(url: str, session: requests.Session, seen: list, stop: threading.Event) -> None:
    with session.get(f"{url}/desk/events", stream=True, timeout=60) as stream:
        for line in stream.iter_lines(decode_unicode=True):
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
            if stop.is_set():
                return


def test_a_staff_reply_on_one_replica_reaches_the_widget_on_the_other(replicas):
    a, b = replicas.replicas
    visitor = uuid.uuid4().hex

    async def scenario() -> dict:
        session, ws = await widget_escalated(b.url, visitor)
        try:
            handoff_id, conversation_id = handoff_of(replicas.database_url, visitor)
            watcher, _ = signed_in(b.url, "bo")  # a console on replica B
            seen: list = []
            stop = threading.Event()
            thread = threading.Thread(target=sse_events, args=(b.url, watcher, seen, stop), daemon=True)
            thread.start()
            staff, csrf = signed_in(a.url, "ana")  # the claim and the reply on replica A
            claim = staff.post(
                f"{a.url}/desk/handoffs/{handoff_id}/claim", data={"csrf_token": csrf}, allow_redirects=False
            )
            assert claim.status_code == 303, claim.text
            reply = staff.post(
                f"{a.url}/desk/handoffs/{handoff_id}/reply",
                data={"csrf_token": csrf, "text": "Hello from Ana"},
                allow_redirects=False,
            )
            assert reply.status_code == 303, reply.text
            pushed = []
            while not any(m["text"] == "Hello from Ana" for m in pushed):
                event = await ws.receive_json(timeout=30)
                if event.get("type") == "messages":
                    pushed.extend(event["messages"])
            await asyncio.to_thread(lambda: wait_for(lambda: {"id": conversation_id} in seen))
            stop.set()
            return {"pushed": pushed}
        finally:
            await ws.close()
            await session.close()

    outcome = asyncio.run(scenario())
    assert any(m["text"] == "Hello from Ana" and m["from"] == "agent" for m in outcome["pushed"])


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_of_two_simultaneous_claims_on_two_replicas_one_wins(replicas):
    a, b = replicas.replicas
    visitor = uuid.uuid4().hex

    async def escalate() -> None:
        session, ws = await widget_escalated(a.url, visitor)
        await ws.close()
        await session.close()

    asyncio.run(escalate())
    handoff_id, _ = handoff_of(replicas.database_url, visitor)
    claimants = [(a.url, *signed_in(a.url, "ana")), (b.url, *signed_in(b.url, "bo"))]
    start = threading.Barrier(2)

    def claim(claimant) -> int:
        url, session, csrf = claimant
        start.wait()
        return session.post(
            f"{url}/desk/handoffs/{handoff_id}/claim", data={"csrf_token": csrf}, allow_redirects=False
        ).status_code

    with ThreadPoolExecutor(2) as pool:
        statuses = sorted(pool.map(claim, claimants))
    assert statuses == [303, 409]


def test_failed_logins_are_counted_across_replicas(replicas):
    a, b = replicas.replicas
    add_staff(a, "cy", "Cy")
    for attempt in range(5):  # CXBOT_DESK_LOGIN_ATTEMPTS' default, spread over both replicas
        assert login_status((a, b)[attempt % 2].url, "cy", "wrong password") == 401
    assert login_status(a.url, "cy", PASSWORD) == 429
    assert login_status(b.url, "cy", PASSWORD) == 429


def test_one_customers_message_limit_is_counted_once_across_replicas(replicas, tmp_path):
    """Two more replicas whose content allows three messages a minute per customer."""
    content = bench_content(tmp_path)
    rules = yaml.safe_load((content / "privacy.yml").read_text(encoding="utf-8"))
    rules["rate_limits"]["per_customer"] = {"messages": 3, "per_seconds": 60}
    (content / "privacy.yml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    limited = replicas.start_replicas(2, {"CXBOT_CONTENT_DIR": str(content)})
    try:
        answers = [send(limited[n % 2].url, "flooder", f"where is my order {n}?") for n in range(5)]
        assert [answer.status_code for answer in answers] == [200, 200, 200, 429, 429]
        for refused in answers[3:]:
            assert 0 < int(refused.headers["Retry-After"]) <= 60 and refused.json()["code"] == "rate_limited"
        found = rows(replicas.database_url, "flooder")
        assert len([row for row in found if row.direction == "customer"]) == 3  # nothing over it stored
    finally:
        for replica in limited:
            replica.stop()
            replicas.replicas.remove(replica)


def test_a_redis_restart_gives_503_with_retry_after_then_recovers_without_losing_a_message(replicas):
    a, b = replicas.replicas
    assert send(a.url, "through-restart", "how much is shipping", "r-0").status_code == 200
    replicas.redis.stop()
    try:
        for replica in (a, b):
            refused = send(replica.url, "through-restart", "can I pay with paypal?", "r-1")
            assert refused.status_code == 503, refused.text
            assert refused.headers["Retry-After"].isdigit()
    finally:
        replicas.redis.start()
    # The same message, retried as a client would: answered once Redis is back, no restart.
    wait_for(
        lambda: (
            send((a, b)[int(time.monotonic()) % 2].url, "through-restart", "can I pay with paypal?", "r-1").status_code
            == 200
        )
    )
    assert send(b.url, "through-restart", "I forgot my password", "r-2").status_code == 200
    found = rows(replicas.database_url, "through-restart")
    assert [row.external_id for row in found if row.direction == "customer"] == ["r-0", "r-1", "r-2"]
    assert_answered_once_in_order(found)


def test_postgresql_stopped_gives_503_with_retry_after_then_recovers_without_losing_a_message(replicas, postgres):
    a, b = replicas.replicas
    assert send(a.url, "through-pg", "how much is shipping", "p-0").status_code == 200
    postgres.halt()
    try:
        for replica in (a, b, replicas.proxy):
            refused = send(replica.url, "through-pg", "can I pay with paypal?", "p-1")
            assert refused.status_code == 503, refused.text
            assert refused.headers["Retry-After"].isdigit()
    finally:
        postgres.resume()
    # Retried as a client would: answered once PostgreSQL is back, without restarting a replica.
    wait_for(
        lambda: (
            send((a, b)[int(time.monotonic()) % 2].url, "through-pg", "can I pay with paypal?", "p-1").status_code
            == 200
        )
    )
    assert send(b.url, "through-pg", "I forgot my password", "p-2").status_code == 200
    assert send(a.url, "through-pg", "thanks", "p-3").status_code == 200
    found = rows(replicas.database_url, "through-pg")
    assert [row.external_id for row in found if row.direction == "customer"] == ["p-0", "p-1", "p-2", "p-3"]
    assert_answered_once_in_order(found)


def test_a_replica_killed_in_the_middle_of_traffic_through_haproxy_loses_and_doubles_nothing(replicas):
    """Last in this module: it kills replica A. The customers keep retrying through HAProxy;
    replica B takes over A's claims and locks once A's heartbeat and locks expire."""
    traffic = Traffic(replicas.proxy.url, prefix="killed")
    traffic.start()
    try:
        traffic.wait_for_answers(KILL_AFTER_ANSWERS)
        replicas.replicas[0].stop(signal.SIGKILL)
    finally:
        traffic.finish()
    traffic.check(replicas.database_url)
