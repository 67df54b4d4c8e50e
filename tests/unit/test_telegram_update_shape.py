"""Webhook bodies that look like updates but are not (issue 21): refused before the library reads them."""

from __future__ import annotations

import pytest

from bot.channels.telegram.shape import check_update
from bot.conversation.messages import InvalidMessage
from tests.support.fake_telegram import text_update


def test_a_real_update_passes():
    update = text_update(1, 42, 7, "hello")
    assert check_update(update) is update


@pytest.mark.parametrize(
    "change",
    [
        lambda u: u["message"]["chat"].update(id={"x": 1}),
        lambda u: u["message"]["chat"].update(id=2**63),
        lambda u: u["message"]["from"].update(id=2**64),
        lambda u: u["message"].update(message_id=10**40),
        lambda u: u["message"].update(text=12),
        lambda u: u["message"].update(text="a\ud800"),
        lambda u: u["message"]["from"].update(first_name="\udfff"),
        lambda u: u.update(update_id="1"),
        lambda u: u.update(callback_query={"id": 5, "data": "x"}),
        lambda u: u.update(callback_query={"id": "5", "data": ["x"]}),
    ],
)
def test_wrong_types_huge_ids_and_surrogates_are_refused(change):
    update = text_update(1, 42, 7, "hello")
    change(update)
    with pytest.raises(InvalidMessage):
        check_update(update)
