"""Input that once reached a 500 or a silent WebSocket (issue 21, points 1-3): deep nesting,
lone surrogates and control characters in ids, zero-width messages, oversized metadata."""

from __future__ import annotations

import asyncio
import json

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.app.http_errors import MIDDLEWARES
from bot.channels import rest
from bot.channels.json_input import MAX_METADATA_BYTES, load_json
from bot.channels.rest import parse_body
from bot.conversation.messages import InboundMessage, InvalidMessage
from bot.conversation.text import clean_text
from bot.storage.models import Conversation, Customer, Message
from tests.unit.test_widget_channel import client, make_router, ws_url

__all__ = ["client"]  # the widget's in-process app, used here as is

NESTED = b"[" * 2000


def nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("raw", [NESTED, b'{"a":' * 2000, b'{"sender":"u","message":"hi","metadata":' + NESTED])
def test_deep_nesting_is_refused_before_the_parser_recurses(raw):
    with pytest.raises(InvalidMessage) as refused:
        parse_body(raw)
    assert "levels deep" in refused.value.reason


def test_brackets_inside_strings_are_text():
    assert load_json(json.dumps({"message": "[" * 5000 + "{"}), what="x") == {"message": "[" * 5000 + "{"}


@pytest.mark.parametrize("depth", [9, 600])
def test_deep_metadata_is_refused(depth):
    with pytest.raises(InvalidMessage) as refused:
        parse_body(json.dumps({"sender": "u", "message": "hi", "metadata": nested(depth)}).encode())
    assert "levels deep" in refused.value.reason


def test_large_metadata_is_refused_and_small_metadata_passes():
    big = {"page": "x" * MAX_METADATA_BYTES}
    with pytest.raises(InvalidMessage) as refused:
        parse_body(json.dumps({"sender": "u", "message": "hi", "metadata": big}).encode())
    assert refused.value.too_large
    fine = parse_body(json.dumps({"sender": "u", "message": "hi", "metadata": nested(7)}).encode())
    assert fine.metadata == nested(7)


@pytest.mark.parametrize("text", ["\u200b", "\u200b\u200c\u200d\u2060\ufeff", " \u200b\n\u200e "])
def test_a_message_of_only_zero_width_characters_is_empty(text):
    with pytest.raises(InvalidMessage, match="empty"):
        clean_text(text, max_chars=100)
    assert clean_text("\u200bhi", max_chars=100) == "\u200bhi"
    assert clean_text("\U0001f468\u200d\U0001f469", max_chars=100) == "\U0001f468\u200d\U0001f469"  # ZWJ emoji


async def test_names_keep_their_letters_and_lose_control_characters(session_factory):
    router = make_router(session_factory)
    await router.handle(
        InboundMessage(channel="telegram", sender_id="42", text="hi", display_name="Ann\x00 \ud800Lee", locale="e\x1bn")
    )
    with session_factory() as session:
        customer = session.execute(select(Customer)).scalar_one()
    assert (customer.display_name, customer.locale) == ("Ann Lee", "en")


@pytest.fixture
async def rest_client(session_factory, database_url):
    app = web.Application(client_max_size=64 * 1024, middlewares=MIDDLEWARES)
    router = make_router(session_factory)
    rest.add_routes(app, router=lambda: router)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "body, reason",
    [
        pytest.param(*case, id=name)
        for name, case in {
            "nested body": (NESTED, "levels deep"),
            "surrogate sender": (json.dumps({"sender": "a\ud800", "message": "hi"}).encode(), "'sender'"),
            "surrogates sender": (json.dumps({"sender": "a\udfff\ud800", "message": "hi"}).encode(), "'sender'"),
            "NUL sender": (json.dumps({"sender": "a\x00b", "message": "hi"}).encode(), "'sender'"),
            "escape sender": (json.dumps({"sender": "a\x1bb", "message": "hi"}).encode(), "'sender'"),
            "surrogate id": (
                json.dumps({"sender": "u", "message": "hi", "message_id": "m\ud800"}).encode(),
                "'message_id'",
            ),
            "NUL id": (json.dumps({"sender": "u", "message": "hi", "message_id": "m\x00"}).encode(), "'message_id'"),
            "zero-width": (json.dumps({"sender": "u", "message": "\u200b\u200d"}).encode(), "empty"),
            "nested metadata": (
                json.dumps({"sender": "u", "message": "hi", "metadata": nested(600)}).encode(),
                "levels deep",
            ),
        }.items()
    ],
)
async def test_the_rest_channel_answers_400_and_stores_nothing(rest_client, session_factory, body, reason):
    response = await rest_client.post("/webhooks/rest/webhook", data=body)
    assert response.status == 400
    assert reason in (await response.json())["error"]
    with session_factory() as session:
        for table in (Customer, Conversation, Message):
            assert session.scalar(select(func.count()).select_from(table)) == 0, table


async def test_the_widget_answers_deep_nesting_with_an_error(client, caplog):
    response = await client.post("/widget/messages", data=NESTED)
    assert response.status == 400 and "levels deep" in (await response.json())["error"]
    frame = '{"type": "message", "id": "n1", "text": ' + "[" * 2000 + "]" * 2000 + "}"
    async with client.ws_connect(ws_url()) as ws:
        await ws.send_str(frame)
        error = await asyncio.wait_for(ws.receive_json(), timeout=5)
        assert error["type"] == "error" and "levels deep" in error["message"]
        await ws.send_json({"type": "message", "id": "m1", "text": "still there?"})
        assert (await ws.receive_json())["reply_to"] == "m1"
    assert "Task exception was never retrieved" not in caplog.text
