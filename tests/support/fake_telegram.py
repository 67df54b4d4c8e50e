"""A local stand-in for Telegram's Bot API server, speaking the real HTTP API the bot uses.

It runs in a thread with its own event loop, so synchronous tests can inject updates (which the
bot fetches with getUpdates long polling), make the next call of a method fail (a 429 with
retry_after, a 500), and read every call the bot made.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.support.e2e_server import RunningServer, free_port, started_server

TOKEN = "123456:TEST-token_for-the-fake"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Test Shop", "username": "test_shop_bot"}
# A message's "sticker" field as the Bot API sends it; only its presence matters to the bot.
STICKER = {
    "file_id": "s",
    "file_unique_id": "su",
    "type": "regular",
    "width": 1,
    "height": 1,
    "is_animated": False,
    "is_video": False,
}
NOT_MODIFIED = {
    "ok": False,
    "error_code": 400,
    "description": "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message",
}
TOO_MANY_REQUESTS = {
    "ok": False,
    "error_code": 429,
    "description": "Too Many Requests: retry after 1",
    "parameters": {"retry_after": 1},
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    result: Any = None


@dataclass
class _Failure:
    status: int
    body: dict[str, Any]


@dataclass
class FakeTelegram:
    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._pending: list[dict] = []
        self._failures: dict[str, list[_Failure]] = {}
        self._message_ids = itertools.count(1000)
        # (chat id, message id) -> (text, reply markup) of each message the bot sent, as edited since
        self._shown: dict[tuple[Any, Any], tuple[Any, Any]] = {}
        self._update_ids = itertools.count(5000)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._new_updates: asyncio.Event | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    # --- running ---

    def start(self) -> FakeTelegram:
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("fake Telegram did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._loop.call_soon_threadsafe(self._new_updates.set)  # ends a waiting long poll
            self._thread.join(10)

    def _serve(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._new_updates = asyncio.Event()
        self._stop = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        self._started.set()
        await self._stop.wait()
        await runner.cleanup()

    # --- what tests do ---

    def inject(self, *updates: dict) -> None:
        """Queue updates for getUpdates; several at once arrive in one batch (as a redelivery would)."""
        with self._lock:
            self._pending.extend(updates)
        self._loop.call_soon_threadsafe(self._new_updates.set)

    def fail_next(self, method: str, status: int = 429, body: dict | None = None) -> None:
        body = body or (
            TOO_MANY_REQUESTS
            if status == 429
            else {"ok": False, "error_code": status, "description": "Internal Server Error"}
        )
        with self._lock:
            self._failures.setdefault(method, []).append(_Failure(status, body))

    def calls_to(self, method: str, *, ok_only: bool = True) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and (c.status == 200 or not ok_only)]

    def sent_to(self, chat_id: int) -> list[Call]:
        return [c for c in self.calls_to("sendMessage") if c.params.get("chat_id") == chat_id]

    def wait_for(self, condition: Callable[[], Any], timeout: float = 60) -> Any:
        """Wait until condition() is truthy (the bot works in another process); fail if it never is."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting; calls so far: {[(c.method, c.params) for c in self.calls][-10:]}")

    def next_update_id(self) -> int:
        return next(self._update_ids)

    # --- the Bot API ---

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        if request.match_info["token"] != self.token:
            return self._record(method, params, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        with self._lock:
            failures = self._failures.get(method)
            failure = failures.pop(0) if failures else None
        if failure is not None:
            return self._record(method, params, failure.status, failure.body)
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            return self._record(method, params, 404, {"ok": False, "error_code": 404, "description": "Not Found"})
        if method == "editMessageText" and self._unchanged(params):
            return self._record(method, params, 400, NOT_MODIFIED)
        result = await handler(params)
        if method in ("sendMessage", "editMessageText"):
            with self._lock:
                self._shown[(params["chat_id"], result["message_id"])] = (params["text"], params.get("reply_markup"))
        return self._record(method, params, 200, {"ok": True, "result": result})

    def _unchanged(self, params: dict) -> bool:
        """Telegram refuses an edit that leaves a message as it is."""
        with self._lock:
            shown = self._shown.get((params.get("chat_id"), params.get("message_id")))
        return shown == (params.get("text"), params.get("reply_markup"))

    def _record(self, method: str, params: dict, status: int, body: dict) -> web.Response:
        with self._lock:
            self.calls.append(Call(method, params, status, body.get("result")))
        return web.json_response(body, status=status)

    async def _getMe(self, _params: dict) -> dict:
        return dict(BOT_USER, can_join_groups=True, can_read_all_group_messages=False, supports_inline_queries=False)

    async def _getUpdates(self, params: dict) -> list[dict]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                # An offset confirms every update before it: Telegram forgets them.
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
                ready = list(self._pending)
                self._new_updates.clear()
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0 or self._stop.is_set():
                return ready
            try:
                await asyncio.wait_for(self._new_updates.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    async def _sendMessage(self, params: dict) -> dict:
        return _bot_text_message(params, next(self._message_ids))

    async def _editMessageText(self, params: dict) -> dict:
        return _bot_text_message(params, params["message_id"], edit_date=int(time.time()))

    async def _editMessageReplyMarkup(self, params: dict) -> dict:
        return {
            "message_id": params["message_id"],
            "date": int(time.time()),
            "chat": {"id": params["chat_id"], "type": "private"},
            "text": "",
        }

    async def _answerCallbackQuery(self, _params: dict) -> bool:
        return True

    async def _sendChatAction(self, _params: dict) -> bool:
        return True

    async def _setMyCommands(self, _params: dict) -> bool:
        return True

    async def _setWebhook(self, _params: dict) -> bool:
        return True

    async def _deleteWebhook(self, _params: dict) -> bool:
        return True

    async def _getWebhookInfo(self, _params: dict) -> dict:
        hooks = self.calls_to("setWebhook")
        return {
            "url": hooks[-1].params["url"] if hooks else "",
            "has_custom_certificate": False,
            "pending_update_count": 0,
        }


def _bot_text_message(params: dict, message_id: int, **extra: Any) -> dict:
    """The bot's text message (with its buttons, if any) as the Bot API returns it."""
    message = {
        "message_id": message_id,
        "date": int(time.time()),
        **extra,
        "chat": {"id": params["chat_id"], "type": "private"},
        "from": BOT_USER,
        "text": params["text"],
    }
    if params.get("reply_markup"):
        message["reply_markup"] = params["reply_markup"]
    return message


async def _params(request: web.Request) -> dict[str, Any]:
    """The Bot API takes query strings, forms or JSON; PTB sends forms with JSON-encoded values."""
    raw: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        raw.update(body if isinstance(body, dict) else {})
    elif request.can_read_body:
        raw.update(await request.post())
    params = {}
    for key, value in raw.items():
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                pass
        params[key] = value
    return params


# --- updates as Telegram sends them ---


def texts(calls: list[Call]) -> list[str]:
    """The text of each call (sendMessage, editMessageText)."""
    return [c.params["text"] for c in calls]


def user(chat_id: int, name: str = "Ann") -> dict:
    return {"id": chat_id, "is_bot": False, "first_name": name, "language_code": "en"}


def message_update(update_id: int, chat_id: int, message_id: int, chat_type: str = "private", **content) -> dict:
    chat = {"id": chat_id, "type": chat_type}
    chat.update({"first_name": "Ann"} if chat_type == "private" else {"title": "Shop fans"})
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": user(abs(chat_id)),
            **content,
        },
    }


def text_update(update_id: int, chat_id: int, message_id: int, text: str, **kwargs) -> dict:
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return message_update(update_id, chat_id, message_id, **content, **kwargs)


def photo_update(update_id: int, chat_id: int, message_id: int, caption: str | None = None) -> dict:
    photo = [{"file_id": "AgAD-photo", "file_unique_id": "uniq-photo", "width": 90, "height": 90}]
    extra = {"caption": caption} if caption else {}
    return message_update(update_id, chat_id, message_id, photo=photo, **extra)


def callback_update(update_id: int, sent: Call, button_title: str, query_id: str) -> dict:
    """The update Telegram sends when the customer taps `button_title` on a message the bot sent."""
    message = sent.result
    keyboard = message["reply_markup"]["inline_keyboard"]
    data = next(b["callback_data"] for row in keyboard for b in row if b["text"] == button_title)
    chat_id = message["chat"]["id"]
    return {
        "update_id": update_id,
        "callback_query": {
            "id": query_id,
            "from": user(chat_id),
            "chat_instance": f"ci-{chat_id}",
            "message": message,
            "data": data,
        },
    }


@contextmanager
def started_on_telegram(
    telegram: FakeTelegram, data_dir: Path, env: dict[str, str], ready_call: str = "deleteWebhook"
) -> Iterator[RunningServer]:
    """The real server pointed at this fake, yielded once it has made `ready_call`: polling deletes
    any webhook before its first getUpdates, webhook mode sets its own."""
    with started_server(data_dir, {"CXBOT_TELEGRAM_API_URL": telegram.url, **env}) as running:
        telegram.wait_for(lambda: telegram.calls_to(ready_call))
        yield running


@contextmanager
def started_shop_on_telegram(telegram: FakeTelegram, data_dir: Path, shop: str) -> Iterator[RunningServer]:
    """The real server polling this fake for the shop named `shop`, the token in the plain
    TELEGRAM_BOT_TOKEN that BotFather's guides use (CXBOT_TELEGRAM_BOT_TOKEN is read too: webhook tests)."""
    with started_on_telegram(telegram, data_dir, {"TELEGRAM_BOT_TOKEN": TOKEN, "CXBOT_SHOP_NAME": shop}) as running:
        yield running
