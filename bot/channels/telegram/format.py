"""Turning the bot's replies into Telegram messages: splitting, keyboards and button ids.

Replies are sent as plain text (no parse_mode), so nothing needs escaping: `<`, `*` or `_` in an
answer reach the customer exactly as written and can never break Telegram's markup parser.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.conversation.messages import Button, OutboundMessage

# Telegram counts a message's length in UTF-16 code units (an emoji outside the BMP is two).
MAX_MESSAGE_UNITS = 4096
MAX_CALLBACK_DATA_BYTES = 64
CALLBACK_PREFIX = "b"
CHOSEN_MARK = "✓"
# Telegram refuses a keyboard without text; Rasa replies normally carry both.
KEYBOARD_ONLY_TEXT = "Please choose:"


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _hard_cut(text: str, limit: int) -> tuple[str, str]:
    """The longest prefix within `limit` units that does not split a surrogate pair."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index], text[index:]
    return text, ""


def _cut(text: str, limit: int) -> tuple[str, str]:
    """Cut at the last paragraph break, else line break, else space that fits; else hard."""
    head, _ = _hard_cut(text, limit)
    for separator in ("\n\n", "\n", " "):
        position = head.rfind(separator)
        if position > 0:
            return text[:position].rstrip(), text[position + len(separator) :].lstrip("\n ")
    return _hard_cut(text, limit)


def split_text(text: str, limit: int = MAX_MESSAGE_UNITS) -> list[str]:
    """Split a long reply into messages Telegram accepts, on paragraph or line boundaries."""
    parts: list[str] = []
    rest = text.strip()
    while utf16_units(rest) > limit:
        head, rest = _cut(rest, limit)
        if head:
            parts.append(head)
    if rest:
        parts.append(rest)
    return parts


def callback_data(message_id: int, index: int) -> str:
    """A button's short id: the stored bot message and the button's position on it.

    Rasa payloads (`/choose_topic{"topic":"order_status"}`) can exceed Telegram's 64 bytes, so the
    router resolves the id back to the payload when the button is tapped.
    """
    data = f"{CALLBACK_PREFIX}:{message_id}:{index}"
    if len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
        raise ValueError(f"callback data {data!r} is longer than {MAX_CALLBACK_DATA_BYTES} bytes")
    return data


def parse_callback_data(data: str | None) -> tuple[int, int] | None:
    """(stored message id, button index), or None for data this bot did not make."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != CALLBACK_PREFIX:
        return None
    if not (parts[1].isascii() and parts[1].isdigit() and parts[2].isascii() and parts[2].isdigit()):
        return None
    return int(parts[1]), int(parts[2])


def keyboard(message_id: int, buttons: Sequence[Button]) -> InlineKeyboardMarkup:
    """One button per row: titles stay readable on a phone."""
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(button.title or "…", callback_data=callback_data(message_id, index))]
            for index, button in enumerate(buttons)
        ]
    )


def buttons_as_text(buttons: Sequence[Button]) -> str:
    """Buttons of a message that was never stored cannot be tapped: list them to type instead."""
    return "\n".join(f"• {button.title}" for button in buttons)


@dataclass(frozen=True)
class TelegramText:
    text: str
    markup: InlineKeyboardMarkup | None = None


def render(message: OutboundMessage) -> list[TelegramText]:
    """The Telegram messages for one reply; the keyboard goes on the last part."""
    text = message.text
    markup = None
    if message.buttons:
        if message.id is not None:
            markup = keyboard(message.id, message.buttons)
        else:
            text = f"{text}\n\n{buttons_as_text(message.buttons)}".strip()
    if message.image:
        # Images are sent as their link: Telegram shows a preview and nothing is downloaded here.
        text = f"{text}\n{message.image}".strip()
    parts = split_text(text)
    if not parts:
        if markup is None:
            return []
        parts = [KEYBOARD_ONLY_TEXT]
    messages = [TelegramText(part) for part in parts]
    messages[-1] = TelegramText(messages[-1].text, markup)
    return messages


def chosen_text(original: str, title: str) -> str:
    """The tapped message after the tap: what it said, plus the customer's choice."""
    marked = f"{original}\n\n{CHOSEN_MARK} {title}".strip()
    head, _ = _hard_cut(marked, MAX_MESSAGE_UNITS)
    return head


def button_title(markup: InlineKeyboardMarkup | None, data: str) -> str | None:
    """The title of the tapped button, read from the keyboard Telegram sends back with the tap."""
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None
