"""Telegram message shapes: splitting long replies, keyboards and their 64-byte button ids."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.channels.telegram.format import (
    MAX_MESSAGE_UNITS,
    button_title,
    callback_data,
    chosen_text,
    keyboard,
    parse_callback_data,
    render,
    split_text,
    utf16_units,
)
from bot.conversation.messages import Button, OutboundMessage


def test_short_text_is_one_message():
    assert split_text("Hello!") == ["Hello!"]


def test_long_text_splits_on_paragraphs_first():
    first = "a" * 3000
    second = "b" * 3000
    assert split_text(f"{first}\n\n{second}") == [first, second]


def test_a_paragraph_too_long_splits_on_lines_then_words():
    lines = "\n".join(["word " * 100] * 20)
    parts = split_text(lines)
    assert len(parts) > 1
    assert all(utf16_units(p) <= MAX_MESSAGE_UNITS for p in parts)
    assert all(not p.endswith(" wor") for p in parts)
    assert " ".join(" ".join(parts).split()) == " ".join(lines.split())


def test_text_without_spaces_is_cut_hard_without_splitting_an_emoji():
    text = "😀" * 3000  # 6000 UTF-16 units
    parts = split_text(text)
    assert [utf16_units(p) for p in parts] == [4096, 1904]
    assert "".join(parts) == text


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12_000))
def test_split_parts_fit_and_keep_all_the_words(text):
    parts = split_text(text, limit=500)
    assert all(0 < utf16_units(p) <= 500 for p in parts)
    assert "".join("".join(parts).split()) == "".join(text.split())


@given(st.integers(min_value=1, max_value=2**63 - 1), st.integers(min_value=0, max_value=10_000))
def test_callback_data_is_short_and_reads_back(message_id, index):
    data = callback_data(message_id, index)
    assert len(data.encode("utf-8")) <= 64
    assert parse_callback_data(data) == (message_id, index)


@given(
    st.lists(st.builds(Button, st.text(max_size=300), st.text(max_size=2000)), min_size=1, max_size=30),
    st.integers(min_value=1, max_value=2**63 - 1),
)
def test_keyboards_never_carry_payloads_or_long_data(buttons, message_id):
    markup = keyboard(message_id, buttons)
    rows = markup.inline_keyboard
    assert [len(r) for r in rows] == [1] * len(buttons)
    for index, row in enumerate(rows):
        assert len(row[0].callback_data.encode("utf-8")) <= 64
        assert parse_callback_data(row[0].callback_data) == (message_id, index)


def test_foreign_callback_data_is_not_read():
    for data in [None, "", "b:1", "x:1:2", "b:1:2:3", "b:-1:0", "b:1:zero", "b:١:0", "/affirm"]:
        assert parse_callback_data(data) is None


def test_render_puts_the_keyboard_on_the_last_part_only():
    message = OutboundMessage(text="x " * 3000, buttons=(Button("Yes", "/affirm"), Button("No", "/deny")), id=7)
    parts = render(message)
    assert len(parts) == 2
    assert parts[0].markup is None
    assert [b.callback_data for row in parts[1].markup.inline_keyboard for b in row] == ["b:7:0", "b:7:1"]


def test_buttons_of_an_unstored_message_are_listed_as_text():
    parts = render(OutboundMessage(text="Pick one", buttons=(Button("Orders", "/a"), Button("Returns", "/b"))))
    assert parts[0].text == "Pick one\n\n• Orders\n• Returns"
    assert parts[0].markup is None


def test_keyboard_without_text_gets_a_prompt_and_empty_messages_send_nothing():
    assert render(OutboundMessage(buttons=(Button("Yes", "/affirm"),), id=3))[0].text == "Please choose:"
    assert render(OutboundMessage(text="  ")) == []


def test_plain_text_is_sent_as_written():
    assert render(OutboundMessage(text="<b>5 * 3_000</b> & co"))[0].text == "<b>5 * 3_000</b> & co"


def test_the_chosen_button_is_appended_and_read_from_the_keyboard():
    markup = keyboard(9, (Button("Yes, thanks", "/affirm"), Button("No", "/deny")))
    assert button_title(markup, "b:9:1") == "No"
    assert button_title(markup, "b:9:5") is None
    assert chosen_text("Did that answer your question?", "No") == "Did that answer your question?\n\n✓ No"
    assert utf16_units(chosen_text("a" * 4096, "No")) == 4096
