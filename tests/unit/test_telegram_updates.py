"""What each Telegram update means for the bot, without a network."""

from __future__ import annotations

import pytest
from telegram import Update

from bot.channels.telegram.replies import DEFAULT_REPLIES
from bot.channels.telegram.updates import (
    ButtonTap,
    CustomerText,
    Ignored,
    Unreadable,
    command_text,
    read_update,
)
from tests.support.fake_telegram import STICKER, message_update, photo_update, text_update


def read(data: dict, allow_groups: bool = False):
    return read_update(Update.de_json(data, None), allow_groups=allow_groups)


def test_a_private_text_becomes_an_inbound_message():
    action = read(text_update(10, 42, 7, "where is my order 📦"))
    assert isinstance(action, CustomerText)
    assert action.chat_id == 42
    inbound = action.inbound
    assert (inbound.channel, inbound.sender_id, inbound.text, inbound.message_id) == (
        "telegram",
        "42",
        "where is my order 📦",
        "tg-7",
    )
    assert (inbound.display_name, inbound.locale) == ("Ann", "en")
    assert inbound.metadata == {"telegram": {"update_id": 10, "message_id": 7}}


def test_the_same_update_twice_maps_to_the_same_message_id():
    update = text_update(11, 42, 8, "hi")
    assert read(update).inbound.message_id == read(update).inbound.message_id


@pytest.mark.parametrize(
    "typed, sent",
    [
        ("/start", "/start"),
        ("/start@test_shop_bot ref-42", "/start"),
        ("/help", "help"),
        ("/HELP", "help"),
        ("/human", "/human"),
        ("/human please", "/human"),
        ("/unknown words", "/unknown words"),
        ("/unknown@test_shop_bot words", "/unknown words"),
        ("hello /start", "hello /start"),
    ],
)
def test_commands_are_sent_as_the_text_the_assistant_understands(typed, sent):
    assert command_text(typed) == sent
    assert read(text_update(12, 42, 9, typed)).inbound.text == sent


def test_a_photo_is_unreadable_and_keeps_its_caption():
    action = read(photo_update(13, 42, 10, caption="broken on arrival"))
    assert isinstance(action, Unreadable)
    assert action.reply == DEFAULT_REPLIES["unreadable"]
    assert action.inbound.text == "[photo] broken on arrival"
    assert action.inbound.message_id == "tg-10"


@pytest.mark.parametrize(
    "content, marker",
    [
        ({"voice": {"file_id": "v", "file_unique_id": "vu", "duration": 3}}, "[voice message]"),
        ({"document": {"file_id": "d", "file_unique_id": "du"}}, "[file]"),
        ({"location": {"latitude": 52.5, "longitude": 13.4}}, "[location]"),
        ({"contact": {"phone_number": "+4912345", "first_name": "Bo"}}, "[contact]"),
        ({"sticker": STICKER}, "[sticker]"),
    ],
)
def test_other_contents_are_unreadable_and_recorded_without_their_data(content, marker):
    action = read(message_update(14, 42, 11, **content))
    assert isinstance(action, Unreadable)
    assert action.inbound.text == marker


def test_an_edit_gets_its_own_reply_and_id():
    data = {
        "update_id": 15,
        "edited_message": {
            "message_id": 7,
            "date": 0,
            "edit_date": 100,
            "chat": {"id": 42, "type": "private"},
            "text": "fixed",
        },
    }
    action = read(data)
    assert isinstance(action, Unreadable)
    assert action.reply == DEFAULT_REPLIES["edited"]
    assert action.inbound.text == "[edited] fixed"
    assert action.inbound.message_id == "tg-7-edit-100"


def test_service_messages_are_ignored():
    action = read(message_update(16, 42, 12, new_chat_title="x"))
    assert isinstance(action, Ignored)


def test_groups_are_ignored_unless_allowed():
    update = text_update(17, -100, 13, "where is my order", chat_type="supergroup")
    assert isinstance(read(update), Ignored)
    allowed = read(update, allow_groups=True)
    assert isinstance(allowed, CustomerText)
    assert allowed.inbound.sender_id == "-100"  # the group is one conversation


def test_channel_posts_are_ignored():
    data = {
        "update_id": 18,
        "channel_post": {"message_id": 1, "date": 0, "chat": {"id": -5, "type": "channel"}, "text": "news"},
    }
    assert read(data) == Ignored("update type not served")


def _tap(data: str, chat_type: str = "private") -> dict:
    return {
        "update_id": 19,
        "callback_query": {
            "id": "q1",
            "from": {"id": 42, "is_bot": False, "first_name": "Ann"},
            "chat_instance": "c",
            "data": data,
            "message": {"message_id": 99, "date": 1, "chat": {"id": 42, "type": chat_type}, "text": "Did that help?"},
        },
    }


def test_a_button_tap_carries_the_stored_message_and_index():
    action = read(_tap("b:1234:1"))
    assert isinstance(action, ButtonTap)
    assert (action.chat_id, action.sender_id, action.query_id, action.button) == (42, "42", "q1", (1234, 1))
    assert action.message.text == "Did that help?"


def test_a_tap_with_foreign_data_is_still_a_tap_to_answer():
    assert read(_tap("/affirm")).button is None


def test_an_ignored_tap_still_names_the_query_to_answer():
    assert read(_tap("b:1:0", chat_type="group")) == Ignored("group chats are turned off", query_id="q1")


async def test_one_chat_runs_in_order_while_other_chats_go_ahead():
    import asyncio

    from bot.channels.telegram.ordering import ChatOrderedProcessor

    processor = ChatOrderedProcessor(max_concurrent_updates=8)
    first_may_finish = asyncio.Event()
    log = []

    async def work(name, wait=None):
        log.append(f"start {name}")
        if wait is not None:
            await wait.wait()
        log.append(f"end {name}")

    def update(chat_id, number):
        return Update.de_json(text_update(number, chat_id, number, "hi"), None)

    tasks = [
        asyncio.create_task(processor.process_update(update(1, 1), work("chat1-a", first_may_finish))),
        asyncio.create_task(processor.process_update(update(1, 2), work("chat1-b"))),
        asyncio.create_task(processor.process_update(update(2, 3), work("chat2"))),
    ]
    while "end chat2" not in log:
        await asyncio.sleep(0)
    assert "start chat1-b" not in log  # waits for chat 1's first update
    first_may_finish.set()
    await asyncio.gather(*tasks)
    assert log.index("end chat1-a") < log.index("start chat1-b")
