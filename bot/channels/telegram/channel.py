"""Telegram channel: python-telegram-bot inside the product's aiohttp server, on its event loop.

Long polling by default (no public URL needed); webhook mode adds a route that checks Telegram's
secret token. The server starts it once the assistant is loaded: until then updates wait at
Telegram. The channel only talks to the router; it knows nothing of the assistant behind it, and
of the staff desk only that staff updates are handled first (by what the server passes to start()).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from aiohttp import web
from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder, BaseUpdateProcessor, ContextTypes, TypeHandler

from bot.channels.base import ChannelRegistry
from bot.channels.telegram.format import button_title, chosen_text
from bot.channels.telegram.send import TelegramSender
from bot.channels.telegram.updates import (
    CHANNEL,
    UNREADABLE_REPLY,
    ButtonTap,
    CustomerText,
    Ignored,
    Unreadable,
    read_update,
)
from bot.conversation.messages import InboundMessage, InvalidMessage, OutboundMessage
from bot.conversation.router import ConversationRouter

if TYPE_CHECKING:
    from bot.app.settings import Settings

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
# Telegram's rule for secret tokens: 1-256 characters A-Z, a-z, 0-9, _ and -.
SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")
POLL_TIMEOUT_SECONDS = 25
START_RETRY_SECONDS = (1, 2, 5, 10, 30)

TOO_LONG_REPLY = "Sorry, that message is too long for me. Please send it in shorter parts."
EXPIRED_BUTTON_REPLY = "This button has expired. Please type your question."

# Staff business on Telegram (bot/desk/telegram_staff.py): True when it took the update.
StaffUpdates = Callable[[Update], Awaitable[bool]]


async def _no_staff(_update: Update) -> bool:
    return False


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Updates of different chats run at once; one chat's updates run one by one, in order.

    The router also orders by sender, but only from the moment a message reaches it; this lock
    is taken as the update arrives, so a chat's replies also go out in order.
    """

    def __init__(self, max_concurrent_updates: int = 32) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: defaultdict[Any, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._waiting: defaultdict[Any, int] = defaultdict(int)

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        key = chat.id if chat is not None else None
        self._waiting[key] += 1
        try:
            async with self._locks[key]:
                await super().process_update(update, coroutine)
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                self._locks.pop(key, None)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def check_settings(settings: Settings) -> None:
    """Refuse to start with a Telegram setup that cannot work; the message says what to fix."""
    if settings.telegram_mode not in ("polling", "webhook"):
        raise ValueError(f"CXBOT_TELEGRAM_MODE must be polling or webhook, not {settings.telegram_mode!r}")
    if settings.telegram_mode == "webhook":
        if not settings.telegram_webhook_url.startswith(("https://", "http://")):
            raise ValueError(
                "webhook mode needs CXBOT_TELEGRAM_WEBHOOK_URL (the public URL of /webhooks/telegram/webhook)"
            )
        if not SECRET_PATTERN.fullmatch(settings.telegram_webhook_secret):
            raise ValueError("webhook mode needs CXBOT_TELEGRAM_WEBHOOK_SECRET: 1-256 of A-Z a-z 0-9 _ -")


def build_application(settings: Settings, processor: BaseUpdateProcessor) -> Application:
    api = settings.telegram_api_url
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .concurrent_updates(processor)
        .job_queue(None)  # nothing is scheduled; Rasa's APScheduler must not be started twice
    )
    if settings.telegram_mode == "webhook":
        builder = builder.updater(None)  # our aiohttp route receives the updates
    return builder.build()


class TelegramChannel:
    name = CHANNEL

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.processor = ChatOrderedProcessor()
        self.application = build_application(settings, self.processor)
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self.sender = TelegramSender(self.application.bot)
        self.router: ConversationRouter | None = None  # set by run(): updates wait until then
        self._staff: StaffUpdates = _no_staff
        self.ready = asyncio.Event()
        # In polling mode, whether this process polls (several replicas: the lease holder only).
        self.polls = True
        self._starter: asyncio.Task | None = None

    @property
    def bot(self) -> Bot:
        return self.application.bot

    # --- lifecycle: the server starts it once the assistant is ready; stopped on shutdown ---

    def start(self, router: ConversationRouter, staff: StaffUpdates | None = None) -> None:
        """Connect in the background (retrying while Telegram is unreachable), then serve."""
        self._starter = asyncio.create_task(self.run(router, staff))

    async def run(self, router: ConversationRouter, staff: StaffUpdates | None = None) -> None:
        """Connect and serve customers through `router`; `staff` sees every update first."""
        self.router = router
        self._staff = staff or _no_staff
        for attempt in range(len(START_RETRY_SECONDS) + 1):
            try:
                await self._connect()
                break
            except InvalidToken:
                # PTB's message repeats the token; keep it out of the logs.
                logger.error("telegram: the bot token was rejected; check TELEGRAM_BOT_TOKEN")
                return
            except TelegramError as error:
                # Start the next try from scratch: a failed getMe leaves the bot half set up.
                with contextlib.suppress(Exception):
                    await self.bot.shutdown()
                if attempt == len(START_RETRY_SECONDS):
                    logger.error("telegram: could not connect (%s); giving up", error)
                    return
                wait = START_RETRY_SECONDS[attempt]
                logger.warning("telegram: could not connect (%s); retrying in %d s", error, wait)
                await asyncio.sleep(wait)
        self.ready.set()
        logger.info("telegram: @%s is %s", self.bot.username, self.settings.telegram_mode)

    async def _connect(self) -> None:
        await self.application.initialize()
        if not self.application.running:
            await self.application.start()
        if self.settings.telegram_mode == "webhook":
            await self.sender.call(
                "setWebhook",
                lambda: self.bot.set_webhook(
                    self.settings.telegram_webhook_url,
                    secret_token=self.settings.telegram_webhook_secret,
                    allowed_updates=ALLOWED_UPDATES,
                ),
            )
        elif self.polls:
            await self._start_polling()

    async def _start_polling(self) -> None:
        if not self.application.updater.running:
            # Removes any webhook first (Telegram serves one or the other), keeping pending updates.
            await self.application.updater.start_polling(
                timeout=POLL_TIMEOUT_SECONDS, allowed_updates=ALLOWED_UPDATES, bootstrap_retries=3
            )

    async def set_polling(self, polls: bool) -> None:
        """Start or stop polling (with several replicas, only the one holding the lease polls)."""
        self.polls = polls
        if not self.ready.is_set() or self.settings.telegram_mode != "polling":
            return  # run() starts polling once connected if it still should
        if polls:
            await self._start_polling()
        elif self.application.updater.running:
            await self.application.updater.stop()  # confirms the updates already fetched

    async def on_shutdown(self, _app: web.Application) -> None:
        if self._starter is not None and not self._starter.done():
            self._starter.cancel()
            await asyncio.gather(self._starter, return_exceptions=True)
        try:
            updater = self.application.updater
            if updater is not None and updater.running:
                await updater.stop()  # also confirms the updates already fetched
            if self.application.running:
                await self.application.stop()  # finishes the updates in hand
            await self.application.shutdown()
        except Exception:
            logger.exception("telegram: error while stopping")

    # --- pushing (the staff desk's replies) ---

    async def deliver(self, sender_id: str, messages: Sequence[OutboundMessage]) -> None:
        if not self.ready.is_set():
            raise RuntimeError("the Telegram channel is not connected")
        await self.sender.send(int(sender_id), messages)

    # --- webhook mode ---

    async def webhook(self, request: web.Request) -> web.Response:
        """POST /webhooks/telegram/webhook: one update from Telegram, handled before we answer.

        Answering only after the update is handled means a crash makes Telegram send it again,
        and the router's dedupe makes that repeat harmless.
        """
        secret = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(secret.encode(), self.settings.telegram_webhook_secret.encode()):
            return web.json_response({"error": "wrong or missing secret token"}, status=403)
        if not self.ready.is_set():
            return web.json_response(
                {"error": "the assistant is starting; try again shortly"}, status=503, headers={"Retry-After": "5"}
            )
        try:
            data = await request.json()
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise ValueError("not an update")
            update = Update.de_json(data, self.bot)
        except Exception:
            return web.json_response({"error": "the body must be a Telegram update (JSON)"}, status=400)
        try:
            # Through the same per-chat ordering as polled updates, but failures reach us here.
            await self.processor.process_update(update, self._on_update(update, None))
        except Exception:
            logger.exception("telegram: update %s failed; Telegram will send it again", update.update_id)
            return web.json_response(
                {"error": "the update could not be handled; try again"}, status=503, headers={"Retry-After": "5"}
            )
        return web.json_response({"ok": True})

    # --- handling updates ---

    async def _on_update(self, update: Update, _context: ContextTypes.DEFAULT_TYPE | None = None) -> None:
        if await self._staff(update):
            return
        action = read_update(update, allow_groups=self.settings.telegram_allow_groups)
        if isinstance(action, CustomerText):
            await self._answer_text(action)
        elif isinstance(action, ButtonTap):
            await self._answer_tap(action)
        elif isinstance(action, Unreadable):
            await self._answer_unreadable(action)
        elif isinstance(action, Ignored):
            logger.debug("telegram: update %s ignored: %s", update.update_id, action.reason)
            if action.query_id:
                await self._answer_query(action.query_id)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        logger.error("telegram: update %s failed", update_id, exc_info=context.error)

    async def _reply(self, chat_id: int, replies: Sequence[OutboundMessage]) -> None:
        # A repeated update gets the router's stored replies. They are sent again only if this
        # process never delivered them (a send that failed, a restart): never lost, rarely twice.
        if self.sender.delivered.all_sent(replies):
            logger.info("telegram: repeated update in chat %s; replies already sent", chat_id)
            return
        await self.sender.send(chat_id, replies)

    async def _route(self, chat_id: int, inbound: InboundMessage) -> list[OutboundMessage]:
        try:
            return await self.router.handle(inbound)
        except InvalidMessage as invalid:
            reply = TOO_LONG_REPLY if invalid.too_large else UNREADABLE_REPLY
            await self.sender.send(chat_id, [OutboundMessage(text=reply)])
            return []

    async def _answer_text(self, action: CustomerText) -> None:
        await self._typing(action.chat_id)
        await self._reply(action.chat_id, await self._route(action.chat_id, action.inbound))

    async def _answer_unreadable(self, action: Unreadable) -> None:
        turn = await self.router.record_unreadable(action.inbound, OutboundMessage(text=action.reply))
        await self._reply(action.chat_id, turn.replies)

    async def _answer_tap(self, tap: ButtonTap) -> None:
        payload = None
        if tap.button is not None:
            stored_id, index = tap.button
            payload = await self.router.button_payload(CHANNEL, tap.sender_id, stored_id, index)
        # Answer at once, even for an unknown button: otherwise the customer's button keeps spinning.
        await self._answer_query(tap.query_id, None if payload else EXPIRED_BUTTON_REPLY)
        if payload is None:
            return
        inbound = InboundMessage(
            channel=CHANNEL,
            sender_id=tap.sender_id,
            text=payload,
            # One answer per keyboard: a second tap on it (or the same tap delivered twice) is a
            # repeat of the first, and the keyboard is removed after the first.
            message_id=f"tg-button-{stored_id}",
            display_name=tap.display_name,
            locale=tap.locale,
            metadata={"telegram": {"callback_query_id": tap.query_id}},
        )
        replies = await self._route(tap.chat_id, inbound)
        if self.sender.delivered.all_sent(replies):
            return
        await self._show_choice(tap)
        await self.sender.send(tap.chat_id, replies)

    async def _show_choice(self, tap: ButtonTap) -> None:
        """Edit the tapped message: append "✓ <title>" and drop the keyboard."""
        title = button_title(tap.message.reply_markup, tap.data) if tap.message else None
        try:
            if tap.message is not None and tap.message.text and title:
                text = chosen_text(tap.message.text, title)
                await self.sender.call(
                    "editMessageText",
                    lambda: self.bot.edit_message_text(text, chat_id=tap.chat_id, message_id=tap.message.message_id),
                )
            elif tap.message is not None:
                await self.sender.call(
                    "editMessageReplyMarkup",
                    lambda: self.bot.edit_message_reply_markup(chat_id=tap.chat_id, message_id=tap.message.message_id),
                )
        except TelegramError as error:
            # "message is not modified" (already edited), too old to edit, or Telegram unreachable:
            # the edit is cosmetic, the replies still go out.
            logger.info("telegram: could not edit the tapped message: %s", error)

    async def _answer_query(self, query_id: str, text: str | None = None) -> None:
        try:
            await self.sender.call("answerCallbackQuery", lambda: self.bot.answer_callback_query(query_id, text=text))
        except TelegramError as error:
            # Queries expire after a while; the tap itself is still handled.
            logger.warning("telegram: could not answer callback query: %s", error)

    async def _typing(self, chat_id: int) -> None:
        try:
            await self.bot.send_chat_action(chat_id, "typing")
        except TelegramError:
            pass  # only a courtesy


def setup(app: web.Application, settings: Settings, channels: ChannelRegistry) -> TelegramChannel | None:
    """Add the Telegram channel to the server if a bot token is configured (start() connects it)."""
    if not settings.telegram_bot_token:
        return None
    check_settings(settings)
    channel = TelegramChannel(settings)
    channels.register(channel)
    if settings.telegram_mode == "webhook":
        app.router.add_post(WEBHOOK_PATH, channel.webhook)
    # on_shutdown, not on_cleanup: aiohttp waits for the tasks PTB runs before it cleans up.
    app.on_shutdown.append(channel.on_shutdown)
    return channel
