"""Staff on Telegram: a staff chat hears about each escalation and claims it with a button; the
claimer answers the customer by replying to the bot's messages there (or in a private chat with
the bot), and hands back with /resolve.

Only Telegram accounts linked to an active staff user (`cxbot user link NAME --telegram-id N`)
may claim or answer; anyone else is told so and nothing happens. In a group the bot's privacy
mode lets it see exactly what it needs: replies to its own messages, and commands.
"""

from __future__ import annotations

import logging
from collections import OrderedDict

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.error import TelegramError

from bot.channels.telegram.channel import TelegramChannel
from bot.conversation.events import HandoffChanged, HandoffQueued, MessageForHolder
from bot.desk import auth, posts
from bot.desk.service import Desk
from bot.handoff.queries import claimed_by
from bot.handoff.transitions import TransitionRefused
from bot.storage.database import run_in_session
from bot.storage.ids import row_id
from bot.storage.models import StaffUser

logger = logging.getLogger(__name__)

CLAIM_PREFIX = "desk:claim:"
MAX_TEXT = 3900  # room for the prefix within Telegram's 4096
NOT_LINKED = (
    "Your Telegram account is not linked to a staff user, so it cannot claim or answer customers. "
    "An admin can link it: cxbot user link <user> --telegram-id {id}"
)
WHICH_CUSTOMER = "Reply to one of my messages about a customer to answer them (or use the console)."
STATUS_LINES = {
    "claimed": "✋ With {holder}",
    "resolved": "✅ Resolved{by} at {when}: back with the bot",
    "cancelled": "↩️ Cancelled by the customer",
    "timed_out": "⏰ Waiting long: the customer was told we're busy",
}


class StaffChat:
    """The desk's front-end on Telegram; the server subscribes it to the desk's events and hands
    it the channel's updates before the customers' handling sees them."""

    def __init__(self, channel: TelegramChannel, chat_id: int, desk: Desk, sessions: sessionmaker) -> None:
        self.channel = channel
        self.chat_id = chat_id
        self.desk = desk
        self.sessions = sessions
        self._seen: OrderedDict[tuple[int, int], None] = OrderedDict()
        self._shown: OrderedDict[tuple[int, int], str] = OrderedDict()  # each post's text as last edited

    @property
    def bot(self):
        return self.channel.bot

    async def _db(self, work):
        return await run_in_session(self.sessions, work)

    async def _send(self, chat_id: int, text: str, *, markup=None, reply_to: int | None = None) -> Message:
        reply = ReplyParameters(message_id=reply_to, allow_sending_without_reply=True) if reply_to else None
        return await self.channel.sender.call(
            "sendMessage",
            lambda: self.bot.send_message(chat_id, text[:4096], reply_markup=markup, reply_parameters=reply),
        )

    async def _record(self, chat_id: int, message_id: int, handoff_id: int, kind: str) -> None:
        try:
            await self._db(
                lambda s: posts.record(s, chat_id=chat_id, message_id=message_id, handoff_id=handoff_id, kind=kind)
            )
        except IntegrityError:
            pass  # recorded already

    # --- what the desk tells staff (subscribed to its events in bot/app/server.py) ---

    async def announce(self, event: HandoffQueued) -> None:
        """A new request in the queue: post it with a Claim button."""
        if not self.chat_id or not self.channel.ready.is_set():
            return
        handoff_id = event.handoff_id
        if await self._db(lambda s: posts.announcement(s, handoff_id)) is not None:
            return  # a second trigger for the same request
        text = await self._db(lambda s: posts.summary(s, handoff_id))
        if not text:
            return
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Claim", callback_data=f"{CLAIM_PREFIX}{handoff_id}")]])
        sent = await self._send(self.chat_id, text, markup=markup)
        await self._record(self.chat_id, sent.message_id, handoff_id, "announce")

    async def relay_customer_message(self, event: MessageForHolder) -> None:
        """A customer's message to the person who has them: in the staff chat (under the
        announcement), or in the holder's private chat when there is no staff chat."""
        if not self.channel.ready.is_set():
            return
        relay = await self._db(lambda s: posts.relay(s, event.handoff_id, event.message_id))
        if self.chat_id:
            chat_id, reply_to = self.chat_id, relay.announcement.message_id if relay.announcement else None
        elif relay.holder_telegram_id:
            chat_id, reply_to = relay.holder_telegram_id, None
        else:
            return
        sent = await self._send(chat_id, f"💬 {relay.customer}: {relay.text[:MAX_TEXT]}", reply_to=reply_to)
        await self._record(chat_id, sent.message_id, event.handoff_id, "relay")

    async def handoff_changed(self, event: HandoffChanged) -> None:
        """Keep the announcement true: who has it now, or that it is over (the button goes)."""
        if not self.chat_id or not self.channel.ready.is_set():
            return
        now = await self._db(lambda s: posts.status(s, event.handoff_id))
        line = STATUS_LINES.get(now.status)
        if now.announcement is None or line is None:
            return
        when = f"{now.closed_at:%Y-%m-%d %H:%M} UTC" if now.closed_at else "now"
        status = line.format(holder=now.holder, by=f" by {now.closed_by}" if now.closed_by else "", when=when)
        text = f"{now.summary}\n\n{status}" if now.summary else status
        post = now.announcement
        key = (post.chat_id, post.message_id)
        if self._shown.get(key) == text[:4096]:
            return  # the same change told twice: Telegram refuses an edit that changes nothing
        try:
            await self.channel.sender.call(
                "editMessageText",
                lambda: self.bot.edit_message_text(text[:4096], chat_id=post.chat_id, message_id=post.message_id),
            )
        except TelegramError as error:
            logger.info("telegram staff: could not update the announcement: %s", error)
            return
        self._shown[key] = text[:4096]
        while len(self._shown) > 10_000:
            self._shown.popitem(last=False)

    # --- what staff send ---

    def _first_time(self, chat_id: int, message_id: int) -> bool:
        """A redelivered update (webhook retry) must not send a staff reply twice."""
        key = (chat_id, message_id)
        if key in self._seen:
            return False
        self._seen[key] = None
        while len(self._seen) > 10_000:
            self._seen.popitem(last=False)
        return True

    async def _staff_user(self, telegram_id: int | None) -> StaffUser | None:
        if telegram_id is None:
            return None
        return await self._db(lambda s: auth.user_by_telegram(s, telegram_id))

    async def handle(self, update: Update) -> bool:
        """True when the update was staff business (then customers' handling skips it)."""
        query = update.callback_query
        if query is not None and (query.data or "").startswith(CLAIM_PREFIX):
            await self._claim_tap(query)
            return True
        message = update.message
        if message is None or message.chat is None:
            return False
        in_staff_chat = bool(self.chat_id) and message.chat.id == self.chat_id
        staff = None
        if not in_staff_chat:
            if message.chat.type != "private" or message.from_user is None:
                return False
            staff = await self._staff_user(message.from_user.id)
            if staff is None:
                return False  # a customer writing to the bot
        if not self._first_time(message.chat.id, message.message_id):
            return True
        if staff is None:
            staff = await self._staff_user(message.from_user.id if message.from_user else None)
        await self._staff_message(message, staff)
        return True

    async def _claim_tap(self, query) -> None:
        staff = await self._staff_user(query.from_user.id if query.from_user else None)
        if staff is None:
            await self._answer(query.id, NOT_LINKED.format(id=query.from_user.id if query.from_user else "?"))
            return
        handoff_id = row_id(query.data[len(CLAIM_PREFIX) :])
        if handoff_id is None:
            await self._answer(query.id, "This button is not one of mine.")
            return
        try:
            await self.desk.claim(handoff_id, staff.id)
        except TransitionRefused as refused:
            await self._answer(query.id, refused.reason)
            return
        await self._answer(
            query.id,
            "It's yours. Reply to my messages about this customer to answer them; /resolve hands back to the bot.",
        )

    async def _answer(self, query_id: str, text: str) -> None:
        try:
            await self.channel.sender.call(
                "answerCallbackQuery", lambda: self.bot.answer_callback_query(query_id, text=text[:200])
            )
        except TelegramError as error:
            logger.info("telegram staff: could not answer a tap: %s", error)

    async def _handoff_for(self, message: Message, staff: StaffUser) -> int | None:
        replied = message.reply_to_message
        if replied is not None:
            post = await self._db(lambda s: posts.handoff_of(s, message.chat.id, replied.message_id))
            if post is not None:
                return post
        if message.chat.type == "private":
            held = await self._db(lambda s: [h.id for h in claimed_by(s, staff.id)])
            if len(held) == 1:
                return held[0]  # one customer at a time: no need to reply to a message
        return None

    async def _staff_message(self, message: Message, staff: StaffUser | None) -> None:
        chat_id = message.chat.id
        if staff is None:
            await self._send(
                chat_id,
                NOT_LINKED.format(id=message.from_user.id if message.from_user else "?"),
                reply_to=message.message_id,
            )
            return
        text = (message.text or "").strip()
        if not text:
            await self._send(chat_id, "Only text can be passed on to customers for now.", reply_to=message.message_id)
            return
        handoff_id = await self._handoff_for(message, staff)
        if handoff_id is None:
            await self._send(chat_id, WHICH_CUSTOMER, reply_to=message.message_id)
            return
        command = text.split()[0].split("@", 1)[0].lower() if text.startswith("/") else None
        try:
            if command == "/resolve":
                await self.desk.resolve(handoff_id, staff.id)
            elif command == "/claim":
                await self.desk.claim(handoff_id, staff.id)
            elif command is not None:
                await self._send(
                    chat_id,
                    "Staff commands: /claim, /resolve. Anything else is sent to the customer.",
                    reply_to=message.message_id,
                )
            else:
                await self.desk.reply(handoff_id, staff.id, text)
        except TransitionRefused as refused:
            await self._send(chat_id, f"Not sent: {refused.reason}.", reply_to=message.message_id)
