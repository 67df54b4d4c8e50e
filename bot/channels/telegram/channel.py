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
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from aiohttp import web
from telegram import Bot, BotCommand, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import ContextTypes, TypeHandler

from bot.channels.base import ChannelRegistry
from bot.channels.json_input import load_json
from bot.channels.limits import Guard, Notices
from bot.channels.telegram.application import build_application, check_settings
from bot.channels.telegram.commands import DEFAULT_LANGUAGE, MenuCommands
from bot.channels.telegram.format import button_title, chosen_text
from bot.channels.telegram.ordering import ChatOrderedProcessor
from bot.channels.telegram.replies import ChannelReplies
from bot.channels.telegram.send import TelegramSender
from bot.channels.telegram.shape import UPDATE_DEPTH, check_update
from bot.channels.telegram.updates import (
    CHANNEL,
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
POLL_TIMEOUT_SECONDS = 25
START_RETRY_SECONDS = (1, 2, 5, 10, 30)

# Staff business on Telegram (bot/desk/telegram_staff.py): True when it took the update.
StaffUpdates = Callable[[Update], Awaitable[bool]]
# A deep link's /start: the replies to send, or None when the payload is not ours (a plain /start).
DeepLinks = Callable[[InboundMessage, str], Awaitable[Sequence[OutboundMessage] | None]]


async def _no_staff(_update: Update) -> bool:
    return False


class TelegramChannel:
    name = CHANNEL

    def __init__(
        self,
        settings: Settings,
        commands: MenuCommands | None = None,
        guard: Guard | None = None,
        deep_links: DeepLinks | None = None,
        replies: ChannelReplies | None = None,
    ) -> None:
        self.settings = settings
        self.replies = replies or ChannelReplies()
        self.commands = commands
        self.guard = guard
        self.deep_links = deep_links
        self._notices = Notices()
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
        await self._register_commands()
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

    async def _register_commands(self) -> None:
        """The menu's commands in each language; the default language's set also serves the rest."""
        if self.commands is None:
            return
        sets = [(None, self.commands.by_language[DEFAULT_LANGUAGE]), *self.commands.by_language.items()]
        for language, commands in sets:
            menu = [BotCommand(name, description) for name, description in commands]
            try:
                await self.sender.call(
                    "setMyCommands",
                    lambda menu=menu, language=language: self.bot.set_my_commands(menu, language_code=language),
                )
            except TelegramError as error:
                # Only the menu is missing: customers can still type the commands.
                logger.warning("telegram: could not register the %s commands: %s", language or "default", error)

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
            # Nesting, types and ids checked before the library builds objects from the JSON.
            data = check_update(load_json(await request.read(), what="a Telegram update", max_depth=UPDATE_DEPTH))
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
        action = read_update(update, allow_groups=self.settings.telegram_allow_groups, replies=self.replies)
        if isinstance(action, (CustomerText, ButtonTap, Unreadable)) and await self._over_limit(action):
            return
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

    async def _over_limit(self, action: CustomerText | ButtonTap | Unreadable) -> bool:
        """True when the chat is over its rate limit: the update is dropped, neither stored nor read."""
        wait = await self.guard.wait(CHANNEL, str(action.chat_id)) if self.guard else 0
        if not wait or self.guard is None:
            self._notices.allowed(action.chat_id)
            return False
        locale = action.locale if isinstance(action, ButtonTap) else action.inbound.locale
        text = self.guard.limits.slow_down_text(locale)
        if isinstance(action, ButtonTap):
            await self._answer_query(action.query_id, text)  # or the button keeps spinning
        if self._notices.first(action.chat_id, wait):
            await self.sender.send(action.chat_id, [OutboundMessage(text=text)])
        return True

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        logger.error("telegram: update %s failed", update_id, exc_info=context.error)

    async def _reply(self, chat_id: int, replies: Sequence[OutboundMessage]) -> None:
        # A repeated update gets the router's stored replies. They are sent again only if they
        # never reached Telegram (a send that failed): never lost, and not twice across a restart.
        if await self._already_sent(replies):
            logger.info("telegram: repeated update in chat %s; replies already sent", chat_id)
            return
        await self.sender.send(chat_id, replies, sent=self._delivered)

    async def _already_sent(self, replies: Sequence[OutboundMessage]) -> bool:
        if self.sender.delivered.all_sent(replies):
            return True
        ids = [reply.id for reply in replies]
        return bool(ids) and None not in ids and await self.router.all_delivered(ids)

    async def _delivered(self, message: OutboundMessage) -> None:
        if message.id is not None and self.router is not None:
            await self.router.mark_delivered([message.id])

    async def _route(self, chat_id: int, inbound: InboundMessage) -> list[OutboundMessage]:
        try:
            return await self.router.handle(inbound)
        except InvalidMessage as invalid:
            reply = self.replies.reply(inbound.locale, "too_long" if invalid.too_large else "unreadable")
            await self.sender.send(chat_id, [OutboundMessage(text=reply)])
            return []

    async def _answer_text(self, action: CustomerText) -> None:
        if action.start_payload is not None and self.deep_links is not None:
            linked = await self.deep_links(action.inbound, action.start_payload)
            if linked is not None:
                await self.sender.send(action.chat_id, linked)
                return
        # "typing" promises a reply: not while a person has the chat (or the customer waits for one).
        if await self.router.bot_answers(CHANNEL, action.inbound.sender_id):
            await self._typing(action.chat_id)
        await self._reply(action.chat_id, await self._route(action.chat_id, action.inbound))

    async def _answer_unreadable(self, action: Unreadable) -> None:
        turn = await self.router.record_unreadable(action.inbound, OutboundMessage(text=action.reply))
        await self._reply(action.chat_id, turn.replies)

    async def _answer_tap(self, tap: ButtonTap) -> None:
        payload, notice = None, self.replies.reply(tap.locale, "expired")
        # One answer per keyboard: a second tap on it (or the same tap delivered twice) is a
        # repeat of the first, and the keyboard is removed after the first.
        tap_id = f"tg-button-{tap.button[0]}" if tap.button else ""
        if tap.button is not None:
            stored_id, index = tap.button
            payload = await self.router.button_payload(CHANNEL, tap.sender_id, stored_id, index)
            if payload is not None and not await self.router.keyboard_is_current(stored_id, tap_id):
                # An older question's buttons: answering it now would reply out of context.
                payload, notice = None, self.replies.reply(tap.locale, "moved_on")
        # Answer at once, even for an unknown button: otherwise the customer's button keeps spinning.
        await self._answer_query(tap.query_id, None if payload else notice)
        if payload is None:
            return
        inbound = InboundMessage(
            channel=CHANNEL,
            sender_id=tap.sender_id,
            text=payload,
            message_id=tap_id,
            display_name=tap.display_name,
            locale=tap.locale,
            metadata={"telegram": {"callback_query_id": tap.query_id}},
        )
        replies = await self._route(tap.chat_id, inbound)
        if await self._already_sent(replies):
            return
        await self._show_choice(tap)
        await self.sender.send(tap.chat_id, replies, sent=self._delivered)

    async def _show_choice(self, tap: ButtonTap) -> None:
        """Edit the tapped message: append "✓ <title>" and drop the keyboard."""
        title = button_title(tap.message.reply_markup, tap.data) if tap.message else None
        try:
            if tap.message is not None and tap.message.text and title:
                text = chosen_text(tap.message.text, title)
                if text == tap.message.text:
                    return  # shown already: Telegram refuses an edit that changes nothing
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


def setup(
    app: web.Application,
    settings: Settings,
    channels: ChannelRegistry,
    commands: MenuCommands | None = None,
    guard: Guard | None = None,
    deep_links: DeepLinks | None = None,
    replies: ChannelReplies | None = None,
) -> TelegramChannel | None:
    """Add the Telegram channel to the server if a bot token is configured (start() connects it);
    `commands` fill the bot's menu in Telegram, `guard` holds its chats to their rate limit,
    `deep_links` answer a /start that carries a token, `replies` word the channel's own replies."""
    if not settings.telegram_bot_token:
        return None
    check_settings(settings)
    channel = TelegramChannel(settings, commands, guard, deep_links, replies)
    channels.register(channel)
    if settings.telegram_mode == "webhook":
        app.router.add_post(WEBHOOK_PATH, channel.webhook)
    # on_shutdown, not on_cleanup: aiohttp waits for the tasks PTB runs before it cleans up.
    app.on_shutdown.append(channel.on_shutdown)
    return channel
