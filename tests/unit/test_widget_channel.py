"""The widget's server side without a model: identity, parsing, WebSocket, REST and history."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.app.http_errors import json_errors
from bot.app.server import widget_history
from bot.app.settings import Settings
from bot.channels.base import ChannelRegistry
from bot.channels.widget import routes as widget
from bot.channels.widget.identity import (
    Identity,
    IdentityRefused,
    sender_id,
    signature_matches,
    user_hash,
)
from bot.channels.widget.protocol import InvalidFrame, parse_frame, parse_rest_body
from bot.conversation.messages import Button, InvalidMessage, OutboundMessage
from bot.conversation.ports import AssistantReply
from bot.conversation.router import ConversationRouter
from bot.handoff.policy import HandoffByRules
from bot.storage.models import Message
from feedback.sentiment import TextBlobScorer
from tests.support.content import project_content

# The app's string keys ("settings", "state", "channels") are the server's own convention.

SECRET = "s3cret-shared-with-the-shop"
VISITOR = "a1b2c3d4e5f6a7b8c9d0"


# ---------- identity ----------


def test_a_valid_signature_ties_the_conversation_to_the_customer():
    signed = Identity(visitor=VISITOR, user_id="42", user_hash=user_hash(SECRET, "42"))
    assert sender_id(signed, SECRET) == "user:42"


def test_the_documented_signature_is_plain_hmac_sha256_hex():
    # The README's one-liners compute exactly this.
    import hashlib
    import hmac

    assert user_hash(SECRET, "42") == hmac.new(SECRET.encode(), b"42", hashlib.sha256).hexdigest()
    assert signature_matches(SECRET, "42", user_hash(SECRET, "42").upper())


@pytest.mark.parametrize(
    "user_id, given",
    [
        ("42", user_hash(SECRET, "43")),  # someone else's signature
        ("43", user_hash(SECRET, "42")),  # the id changed in the page
        ("42", user_hash("other secret", "42")),
        ("42", "nothex"),
        ("42", "ß" * 64),  # non-ASCII must be refused, not crash compare_digest
    ],
)
def test_a_wrong_signature_is_refused(user_id, given):
    with pytest.raises(IdentityRefused, match="could not be verified"):
        sender_id(Identity(visitor=VISITOR, user_id=user_id, user_hash=given), SECRET)


def test_half_an_identity_or_no_secret_is_refused():
    with pytest.raises(IdentityRefused, match="both"):
        sender_id(Identity(visitor=VISITOR, user_id="42"), SECRET)
    with pytest.raises(IdentityRefused, match="not set up"):
        sender_id(Identity(visitor=VISITOR, user_id="42", user_hash=user_hash(SECRET, "42")), "")


def test_anonymous_visitors_cannot_pose_as_customers():
    assert sender_id(Identity(visitor=VISITOR), SECRET) == f"visitor:{VISITOR}"
    for bad in (None, "short", "user:42-aaaaaaaaaaaaaaaa", "x" * 65, "spaces are not ok here"):
        with pytest.raises(InvalidMessage, match="visitor"):
            sender_id(Identity(visitor=bad), SECRET)


def test_identity_fields_must_be_strings():
    with pytest.raises(InvalidMessage, match="user_id"):
        Identity.from_fields({"visitor": VISITOR, "user_id": 42})


# ---------- parsing ----------


def test_a_frame_is_parsed_into_a_message_with_the_client_id():
    message = parse_frame('{"type": "message", "id": "abc-123", "text": "hi there"}')
    assert (message.client_id, message.text) == ("abc-123", "hi there")
    inbound = message.inbound("visitor:x")
    assert (inbound.channel, inbound.sender_id, inbound.message_id) == ("widget", "visitor:x", "abc-123")


@pytest.mark.parametrize(
    "raw, reason, client_id",
    [
        ("not json", "JSON", None),
        (b"\xff\xfe", "JSON", None),
        ("[1, 2]", "object", None),
        ('{"text": "hi"}', "'id'", None),
        ('{"id": "has spaces", "text": "hi"}', "'id'", None),
        ('{"id": "%s", "text": "hi"}' % ("x" * 65), "'id'", None),
        ('{"id": "m1", "text": 5}', "'text'", "m1"),
        ('{"id": "m1"}', "'text'", "m1"),
        ('{"id": "m1", "type": "shout", "text": "hi"}', "unknown", "m1"),
    ],
)
def test_bad_frames_say_why(raw, reason, client_id):
    with pytest.raises(InvalidFrame) as raised:
        parse_frame(raw)
    assert reason in raised.value.reason
    assert raised.value.client_id == client_id


def test_a_rest_body_carries_the_message_and_the_identity():
    body = json.dumps({"id": "m1", "text": "hello", "visitor": VISITOR, "user_id": "7", "user_hash": "ab"})
    message, identity = parse_rest_body(body.encode())
    assert message.text == "hello"
    assert identity == Identity(visitor=VISITOR, user_id="7", user_hash="ab")


# ---------- the channel in a real aiohttp server, a real router and database, a scripted bot ----------


class EchoAssistant:
    async def respond(self, conversation_id, text, *, channel, metadata):
        if text == "quiz":
            buttons = (Button("Yes, thanks", "/affirm"), Button("No", "/deny"))
            return AssistantReply(messages=[OutboundMessage(text="Did that help?", buttons=buttons)])
        return AssistantReply(messages=[OutboundMessage(text=f"echo: {text}")])


CHANNELS = web.AppKey("test_channels", ChannelRegistry)


def make_router(session_factory) -> ConversationRouter:
    return ConversationRouter(
        session_factory=session_factory,
        assistant=EchoAssistant(),
        scorer=TextBlobScorer(),
        max_message_chars=100,
        handoff=HandoffByRules(rules=project_content().escalation, desk=project_content().desk),
    )


def make_app(session_factory, database_url: str, *, ready: bool = True, **settings) -> web.Application:
    app = web.Application(client_max_size=64 * 1024, middlewares=[json_errors])
    app[CHANNELS] = ChannelRegistry()
    router = make_router(session_factory) if ready else None
    widget.add_routes(
        app,
        Settings(database_url=database_url, max_message_chars=100, **settings),
        channels=app[CHANNELS],
        router=lambda: router,
        history=widget_history(session_factory),
    )
    return app


@pytest.fixture
async def client(session_factory, database_url):
    async with TestClient(TestServer(make_app(session_factory, database_url))) as test_client:
        yield test_client


def ws_url(**identity) -> str:
    identity.setdefault("visitor", VISITOR)
    return "/widget/ws?" + "&".join(f"{k}={v}" for k, v in identity.items())


async def test_websocket_answers_and_keeps_going_after_bad_frames(client):
    async with client.ws_connect(ws_url()) as ws:
        await ws.send_str("{not json")
        error = await ws.receive_json()
        assert error["type"] == "error" and "JSON" in error["message"] and error["reply_to"] is None
        await ws.send_json({"type": "message", "id": "e1", "text": "   "})
        assert (await ws.receive_json())["message"] == "'message' is empty"
        await ws.send_json({"type": "message", "id": "e2", "text": "a" * 101})
        too_long = await ws.receive_json()
        assert too_long["code"] == "too_large" and too_long["reply_to"] == "e2"
        await ws.send_bytes(b"\x00\x01")
        assert (await ws.receive_json())["type"] == "error"
        await ws.send_json({"type": "message", "id": "m1", "text": "<b>hello</b>"})
        reply = await ws.receive_json()
    assert reply["type"] == "replies" and reply["reply_to"] == "m1"
    assert reply["messages"][0]["text"] == "echo: <b>hello</b>"
    assert reply["messages"][0]["from"] == "bot" and isinstance(reply["messages"][0]["id"], int)


async def test_a_resent_message_id_takes_effect_once(client, session_factory):
    async with client.ws_connect(ws_url()) as ws:
        await ws.send_json({"type": "message", "id": "again", "text": "hello"})
        first = await ws.receive_json()
    async with client.ws_connect(ws_url()) as ws:  # the browser reconnected and resends
        await ws.send_json({"type": "message", "id": "again", "text": "hello"})
        second = await ws.receive_json()
    assert first == second
    with session_factory() as session:
        stored = session.execute(select(Message).where(Message.external_id == "again")).scalars().all()
    assert len(stored) == 1


async def test_oversized_frames_close_the_socket_not_the_server(client):
    async with client.ws_connect(ws_url()) as ws:
        await ws.send_str("x" * (widget.MAX_FRAME_BYTES + 10))
        closing = await ws.receive()
    assert closing.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING)
    assert (await client.get("/widget/history", params={"visitor": VISITOR})).status == 200


async def test_websocket_identity_is_checked_before_anything_is_said(session_factory, database_url):
    app = make_app(session_factory, database_url, widget_identity_secret=SECRET)
    async with TestClient(TestServer(app)) as client:
        async with client.ws_connect(ws_url(user_id="42", user_hash=user_hash(SECRET, "41"))) as ws:
            refused = await ws.receive_json()
            closing = await ws.receive()
        assert refused["code"] == "identity_refused" and "verified" in refused["message"]
        assert closing.type == WSMsgType.CLOSE and closing.data == widget.CLOSE_IDENTITY_REFUSED
        async with client.ws_connect(ws_url(user_id="42", user_hash=user_hash(SECRET, "42"))) as ws:
            await ws.send_json({"type": "message", "id": "u1", "text": "hi"})
            assert (await ws.receive_json())["type"] == "replies"
        history = await (await client.get("/widget/history", params={"visitor": VISITOR})).json()
        assert history == {"messages": []}  # the signed-in conversation is not the anonymous one


async def test_origins_outside_the_allow_list_are_refused(session_factory, database_url):
    app = make_app(session_factory, database_url, widget_allowed_origins=("https://shop.example",))
    async with TestClient(TestServer(app)) as client:
        evil = {"Origin": "https://evil.example"}
        response = await client.get("/widget/ws?visitor=" + VISITOR, headers=evil)
        assert response.status == 403 and (await response.json())["code"] == "origin_refused"
        body = {"id": "o1", "text": "hi", "visitor": VISITOR}
        assert (await client.post("/widget/messages", json=body, headers=evil)).status == 403
        good = await client.post("/widget/messages", json=body, headers={"Origin": "https://shop.example"})
        assert good.status == 200
        assert good.headers["Access-Control-Allow-Origin"] == "https://shop.example"


async def test_rest_fallback_answers_with_cors_and_clear_errors(client):
    origin = {"Origin": "http://elsewhere.example"}
    preflight = await client.options(
        "/widget/messages",
        headers={**origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status == 204 and "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"

    ok = await client.post("/widget/messages", json={"id": "r1", "text": "hey", "visitor": VISITOR}, headers=origin)
    assert ok.status == 200 and ok.headers["Access-Control-Allow-Origin"] == "*"
    assert (await ok.json())["messages"][0]["text"] == "echo: hey"

    cases = [
        (b"{nope", 400, "JSON"),
        (json.dumps({"id": "r2", "text": "", "visitor": VISITOR}).encode(), 400, "empty"),
        (json.dumps({"id": "r3", "text": "a" * 101, "visitor": VISITOR}).encode(), 413, "longer"),
        (json.dumps({"id": "r4", "text": "hi", "visitor": "nope"}).encode(), 400, "visitor"),
        (
            json.dumps({"id": "r5", "text": "hi", "visitor": VISITOR, "user_id": "1", "user_hash": "x"}).encode(),
            403,
            "not set up",
        ),
        (json.dumps({"id": "r6", "text": "a" * 70_000, "visitor": VISITOR}).encode(), 413, "larger"),
    ]
    for body, status, reason in cases:
        response = await client.post("/widget/messages", data=body, headers=origin)
        assert response.status == status, body[:80]
        assert reason in (await response.json())["error"]
        assert response.headers["Access-Control-Allow-Origin"] == "*"  # the page can read why


async def test_the_assistant_still_loading_asks_for_a_resend(session_factory, database_url):
    async with TestClient(TestServer(make_app(session_factory, database_url, ready=False))) as client:
        async with client.ws_connect(ws_url()) as ws:
            await ws.send_json({"type": "message", "id": "s1", "text": "hi"})
            event = await ws.receive_json()
        assert event["code"] == "starting" and event["retry"] is True and event["reply_to"] == "s1"
        body = {"id": "s2", "text": "hi", "visitor": VISITOR}
        response = await client.post("/widget/messages", json=body)
        assert response.status == 503 and response.headers["Retry-After"]


async def test_history_shows_the_latest_conversation_with_tapped_button_titles(client):
    async with client.ws_connect(ws_url()) as ws:
        for number, text in enumerate(["quiz", "/affirm", "سلام"]):
            await ws.send_json({"type": "message", "id": f"h{number}", "text": text})
            await ws.receive_json()
    history = (await (await client.get("/widget/history", params={"visitor": VISITOR})).json())["messages"]
    assert [(m["from"], m["text"]) for m in history] == [
        ("customer", "quiz"),
        ("bot", "Did that help?"),
        ("customer", "Yes, thanks"),  # stored as "/affirm", shown as the button the customer saw
        ("bot", "echo: /affirm"),
        ("customer", "سلام"),
        ("bot", "echo: سلام"),
    ]
    assert history[1]["buttons"][0] == {"title": "Yes, thanks", "payload": "/affirm"}
    assert [m.get("client_id") for m in history if m["from"] == "customer"] == ["h0", "h1", "h2"]
    other = await client.get("/widget/history", params={"visitor": "someone-else-entirely"})
    assert (await other.json()) == {"messages": []}
    refused = await client.get("/widget/history", params={"visitor": VISITOR, "user_id": "1", "user_hash": "x"})
    assert refused.status == 403 and (await refused.json())["code"] == "identity_refused"


async def test_deliver_pushes_to_open_widgets_and_is_quiet_without_one(client, monkeypatch):
    channel = client.server.app[CHANNELS].get("widget")
    assert channel is not None and channel.name == "widget"
    joined = OutboundMessage(custom={"event": "agent_joined", "name": "Sam"})
    staff = replace(OutboundMessage(text="Hi, Sam here"), id=7)
    await channel.deliver(f"visitor:{VISITOR}", [joined])  # nobody listening: no error
    async with client.ws_connect(ws_url()) as ws:
        await client.get("/widget/history", params={"visitor": VISITOR})  # the socket is registered by now
        await channel.deliver(f"visitor:{VISITOR}", [joined, staff])
        pushed = await ws.receive_json()
    await client.get("/widget/history", params={"visitor": VISITOR})  # the server saw the close by now
    assert pushed == {
        "type": "messages",
        "messages": [
            {"id": None, "from": "agent", "custom": {"event": "agent_joined", "name": "Sam"}},
            {"id": 7, "from": "agent", "text": "Hi, Sam here"},
        ],
    }
    # The closed widget was let go: a later push is not even tried.
    tried = []
    monkeypatch.setattr(widget, "_send", lambda ws, event: tried.append(ws))
    await channel.deliver(f"visitor:{VISITOR}", [staff])
    assert tried == []


async def test_the_script_and_the_sample_page_are_served(client):
    script = await client.get("/widget.js")
    assert script.status == 200 and "javascript" in script.headers["Content-Type"]
    source = await script.text()
    assert "innerHTML" not in source and "attachShadow" in source
    page = await (await client.get("/")).text()
    assert "Northwind Shop" in page and '<script src="/widget.js"' in page
