"""The widget's language: the hint each message carries to the router, and the Persian sample page."""

from __future__ import annotations

import json

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.app.http_errors import json_errors
from bot.app.server import widget_history
from bot.app.settings import Settings
from bot.channels.base import ChannelRegistry
from bot.channels.widget import routes as widget
from bot.channels.widget.protocol import InvalidFrame, parse_frame, parse_rest_body
from bot.conversation.messages import OutboundMessage
from bot.conversation.ports import AssistantReply
from bot.conversation.router import ConversationRouter
from bot.handoff.policy import HandoffByRules
from feedback.sentiment import TextBlobScorer
from tests.support.content import project_content

VISITOR = "f0e1d2c3b4a5968778695a4b"


def frame(**fields) -> str:
    return json.dumps({"type": "message", "id": "m1", "text": "سلام", **fields})


@pytest.mark.parametrize("hint", ["fa", "en"])
def test_the_language_hint_reaches_the_inbound_message_unchanged(hint):
    message = parse_frame(frame(metadata={"language_hint": hint}))
    assert message.inbound("visitor:x").metadata == {"language_hint": hint}


def test_a_message_without_metadata_has_none():
    assert parse_frame(frame()).inbound("visitor:x").metadata == {}
    assert parse_frame(frame(metadata=None)).inbound("visitor:x").metadata == {}


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ({"language_hint": "de"}, "'language_hint' must be one of en, fa"),
        ({"language_hint": "fa" * 500}, "'language_hint' must be one of en, fa"),
        ({"language_hint": 1}, "'language_hint' must be one of en, fa"),
        ({"language_hint": "fa", "handled_by": "admin"}, "'metadata' may only hold 'language_hint'"),
        (["fa"], "'metadata' may only hold 'language_hint'"),
        ("fa", "'metadata' may only hold 'language_hint'"),
    ],
)
def test_a_bad_hint_is_refused_naming_the_message(metadata, reason):
    with pytest.raises(InvalidFrame) as refused:
        parse_frame(frame(metadata=metadata))
    assert refused.value.reason == reason and refused.value.client_id == "m1"


def test_the_rest_body_carries_the_hint_too():
    body = {"type": "message", "id": "r1", "text": "hi", "visitor": VISITOR, "metadata": {"language_hint": "fa"}}
    message, identity = parse_rest_body(json.dumps(body).encode())
    assert message.inbound("visitor:x").metadata == {"language_hint": "fa"} and identity.visitor == VISITOR


class RecordingAssistant:
    def __init__(self) -> None:
        self.metadata: list[dict] = []

    async def respond(self, conversation_id, text, *, channel, metadata):
        self.metadata.append(metadata)
        return AssistantReply(messages=[OutboundMessage(text="باشه")])


@pytest.fixture
async def served(session_factory, database_url):
    app = web.Application(middlewares=[json_errors])
    assistant = RecordingAssistant()
    content = project_content()
    router = ConversationRouter(
        session_factory=session_factory,
        assistant=assistant,
        scorer=TextBlobScorer(),
        handoff=HandoffByRules(rules=content.escalation, desk=content.desk),
    )
    widget.add_routes(
        app,
        Settings(database_url=database_url),
        channels=ChannelRegistry(),
        router=lambda: router,
        history=widget_history(session_factory),
    )
    async with TestClient(TestServer(app)) as client:
        yield client, assistant


async def test_the_hint_travels_from_the_socket_and_the_rest_fallback_to_the_assistant(served):
    client, assistant = served
    async with client.ws_connect(f"/widget/ws?visitor={VISITOR}") as ws:
        await ws.send_str(frame(metadata={"language_hint": "fa"}))
        reply = await ws.receive_json()
        assert reply["type"] == "replies" and reply["messages"][0]["text"] == "باشه"
        await ws.send_str(frame(id="m2", metadata={"language_hint": "xx"}))
        refused = await ws.receive_json()
        assert refused["type"] == "error" and refused["reply_to"] == "m2"
    body = {"type": "message", "id": "r1", "text": "hello", "visitor": VISITOR, "metadata": {"language_hint": "en"}}
    assert (await client.post("/widget/messages", json=body)).status == 200
    # The hint reaches the assistant unchanged, beside the language the router chose (issue 15).
    assert [m["language_hint"] for m in assistant.metadata] == ["fa", "en"]
    assert all(set(m) == {"language_hint", "language"} for m in assistant.metadata)


async def test_the_persian_sample_page_is_served_and_the_script_sends_the_hint(served):
    client, _ = served
    page = await client.get("/fa")
    text = await page.text()
    assert page.status == 200 and "charset=utf-8" in page.headers["Content-Type"]
    assert '<html lang="fa" dir="rtl">' in text and "فروشگاه نورث‌ویند" in text and 'src="/widget.js"' in text
    script = await (await client.get("/widget.js")).text()
    assert "language_hint" in script and "'Vazirmatn', 'Tahoma', 'Segoe UI', sans-serif" in script
    assert "https://" not in script.split("*/", 1)[1]  # no font or anything else from a CDN
