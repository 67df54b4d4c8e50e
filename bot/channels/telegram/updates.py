"""What a Telegram update asks of the bot: a customer's text, a button tap, something it cannot
read, or nothing. Pure functions of the update, so every case is testable without a network."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Chat, Message, Update

from bot.channels.telegram.commands import COMMANDS
from bot.channels.telegram.format import parse_callback_data
from bot.channels.telegram.replies import ChannelReplies
from bot.conversation.messages import InboundMessage

CHANNEL = "telegram"

# The channel's own replies without content (English): a channel passes telegram.yml's.
BUILT_IN_REPLIES = ChannelReplies()

# Message contents the assistant cannot read, named for the stored marker ("[photo]").
UNREADABLE_KINDS = (
    ("photo", "photo"),
    ("sticker", "sticker"),
    ("voice", "voice message"),
    ("video_note", "video message"),
    ("video", "video"),
    ("animation", "animation"),
    ("audio", "audio"),
    ("document", "file"),
    ("location", "location"),
    ("venue", "location"),
    ("contact", "contact"),
    ("poll", "poll"),
    ("dice", "dice"),
    ("story", "story"),
)


@dataclass(frozen=True)
class CustomerText:
    chat_id: int
    inbound: InboundMessage
    # "/start <payload>" from a deep link (t.me/<bot>?start=<payload>): the payload, else None.
    start_payload: str | None = None


@dataclass(frozen=True)
class Unreadable:
    """Recorded with its marker text ("[photo]") and answered with `reply`, never by the assistant."""

    chat_id: int
    inbound: InboundMessage
    reply: str


@dataclass(frozen=True)
class ButtonTap:
    chat_id: int
    sender_id: str
    query_id: str
    data: str
    button: tuple[int, int] | None  # (stored message id, index); None if not our data
    message: Message | None  # the tapped message, if Telegram still shows it to the bot
    display_name: str | None
    locale: str | None


@dataclass(frozen=True)
class Ignored:
    reason: str
    query_id: str | None = None  # a tap is answered even when ignored, or the button spins


Action = CustomerText | Unreadable | ButtonTap | Ignored


def command_text(text: str) -> str:
    """ "/start@ShopBot ref42" -> "/start"; "/help" -> "help"; other text unchanged."""
    if not text.startswith("/"):
        return text
    first, _, rest = text.partition(" ")
    command = first.split("@", 1)[0].lower()
    if command in COMMANDS:
        return COMMANDS[command]
    return f"{command} {rest}".strip() if "@" in first else text


def start_payload(text: str) -> str | None:
    """ "/start abc-12" -> "abc-12" (what a deep link carries); None for anything else."""
    first, _, rest = text.strip().partition(" ")
    if first.split("@", 1)[0].lower() != "/start" or not rest.strip():
        return None
    return rest.strip()


def _chat_allowed(chat: Chat | None, allow_groups: bool) -> str | None:
    """None if the bot talks in this chat, else why not."""
    if chat is None:
        return "no chat"
    if chat.type == Chat.PRIVATE:
        return None
    if chat.type in (Chat.GROUP, Chat.SUPERGROUP):
        return None if allow_groups else "group chats are turned off"
    return f"{chat.type} chats are not served"


def _inbound(update: Update, message: Message, text: str, message_id: str) -> InboundMessage:
    user = message.from_user
    return InboundMessage(
        channel=CHANNEL,
        # A private chat's id is the user's id; in a group the whole group is one conversation.
        sender_id=str(message.chat.id),
        text=text,
        message_id=message_id,
        display_name=user.full_name if user else None,
        locale=user.language_code if user else None,
        metadata={"telegram": {"update_id": update.update_id, "message_id": message.message_id}},
    )


def _unreadable_kind(message: Message) -> str | None:
    for attribute, kind in UNREADABLE_KINDS:
        if getattr(message, attribute, None):
            return kind
    return None


def _marker(kind: str, caption: str | None) -> str:
    # A caption may hold the question itself ("it arrived broken"): keep it for the staff desk.
    return f"[{kind}] {caption}".strip() if caption else f"[{kind}]"


def _from_message(update: Update, message: Message, replies: ChannelReplies) -> Action:
    # The Telegram message id is unique within the chat, and the router dedupes per customer:
    # the same update delivered twice (a webhook retry, a restart) takes effect once.
    message_id = f"tg-{message.message_id}"
    if message.text is not None:
        inbound = _inbound(update, message, command_text(message.text), message_id)
        return CustomerText(message.chat.id, inbound, start_payload(message.text))
    kind = _unreadable_kind(message)
    if kind is None:
        return Ignored("service message")  # members joining, pinned messages...
    inbound = _inbound(update, message, _marker(kind, message.caption), message_id)
    return Unreadable(message.chat.id, inbound, replies.reply(inbound.locale, "unreadable"))


def _from_edit(update: Update, message: Message, replies: ChannelReplies) -> Action:
    edited_at = int(message.edit_date.timestamp()) if message.edit_date else update.update_id
    text = message.text or message.caption or ""
    inbound = _inbound(update, message, f"[edited] {text}".strip(), f"tg-{message.message_id}-edit-{edited_at}")
    return Unreadable(message.chat.id, inbound, replies.reply(inbound.locale, "edited"))


def read_update(update: Update, *, allow_groups: bool, replies: ChannelReplies = BUILT_IN_REPLIES) -> Action:
    """Decide what an update means for the bot; `replies` word what it answers by itself."""
    query = update.callback_query
    if query is not None:
        message = query.message if isinstance(query.message, Message) else None
        chat = query.message.chat if query.message is not None else None
        refused = _chat_allowed(chat, allow_groups)
        if refused:
            return Ignored(refused, query_id=query.id)
        return ButtonTap(
            chat_id=chat.id,
            sender_id=str(chat.id),
            query_id=query.id,
            data=query.data or "",
            button=parse_callback_data(query.data),
            message=message,
            display_name=query.from_user.full_name if query.from_user else None,
            locale=query.from_user.language_code if query.from_user else None,
        )
    if update.message is not None:
        refused = _chat_allowed(update.message.chat, allow_groups)
        return Ignored(refused) if refused else _from_message(update, update.message, replies)
    if update.edited_message is not None:
        refused = _chat_allowed(update.edited_message.chat, allow_groups)
        return Ignored(refused) if refused else _from_edit(update, update.edited_message, replies)
    return Ignored("update type not served")
