import json

import pytest

from bot.channels.rest import parse_body
from bot.conversation.messages import InvalidMessage


def body(**fields) -> bytes:
    return json.dumps(fields).encode()


def test_parses_a_rasa_rest_body():
    inbound = parse_body(body(sender="u1", message="hi", metadata={"page": "/cart"}, message_id="m-1"))
    assert (inbound.channel, inbound.sender_id, inbound.text) == ("rest", "u1", "hi")
    assert inbound.metadata == {"page": "/cart"}
    assert inbound.message_id == "m-1"


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"", "JSON"),
        (b"{not json", "JSON"),
        (b"\xff\xfe\x00binary", "JSON"),
        (b"[1, 2]", "object"),
        (b'"just a string"', "object"),
        (body(message="hi"), "'sender' is required"),
        (body(sender="", message="hi"), "'sender'"),
        (body(sender="x" * 129, message="hi"), "'sender'"),
        (body(sender=True, message="hi"), "'sender'"),
        (body(sender={"id": 1}, message="hi"), "'sender'"),
        (body(sender="u1"), "'message' is required"),
        (body(sender="u1", message="hi", metadata=[1]), "'metadata'"),
        (body(sender="u1", message="hi", message_id=["x"]), "'message_id'"),
    ],
)
def test_refuses_bad_bodies_with_a_reason(raw, reason):
    with pytest.raises(InvalidMessage) as refused:
        parse_body(raw)
    assert reason in refused.value.reason
