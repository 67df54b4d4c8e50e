import pytest

from bot.conversation.messages import InvalidMessage
from bot.conversation.text import clean_text


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  where is my order?  ", "where is my order?"),
        ("hi\x00 there\x1b[31m", "hi there[31m"),
        ("سفارش من کجاست؟", "سفارش من کجاست؟"),
        ("my parcel 📦 is late 😡", "my parcel 📦 is late 😡"),
        ("line one\nline two", "line one\nline two"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ],
)
def test_clean_text_keeps_meaning(raw, expected):
    assert clean_text(raw, max_chars=100) == expected


@pytest.mark.parametrize("raw", ["", "   ", "\n\t ", "\x00\x01\x02", None, 42, ["hi"], {"text": "hi"}])
def test_clean_text_refuses_empty_and_wrong_types(raw):
    with pytest.raises(InvalidMessage) as refused:
        clean_text(raw, max_chars=100)
    assert not refused.value.too_large


def test_clean_text_refuses_huge_text_as_too_large():
    with pytest.raises(InvalidMessage) as refused:
        clean_text("a" * 10_001, max_chars=4000)
    assert refused.value.too_large
    assert "4000" in refused.value.reason
