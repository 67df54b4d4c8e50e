"""`cxbot chat`: a terminal channel on the same router, storage and model as the server."""

from __future__ import annotations

import asyncio
import getpass
import os
from pathlib import Path

from bot.app.content import Content
from bot.app.settings import Settings
from bot.conversation.messages import InboundMessage, InvalidMessage, OutboundMessage
from bot.storage.database import migrate

CHANNEL = "cli"
QUIT = {"exit", "quit", "/exit", "/quit"}


def render(reply: OutboundMessage) -> str:
    lines = [f"bot> {reply.text}"] if reply.text else []
    lines += [f"      [{i}] {button.title}" for i, button in enumerate(reply.buttons, start=1)]
    return "\n".join(lines)


def language_hint() -> dict[str, str]:
    """The terminal's locale (LANG=fa_IR.UTF-8) as the hint for a first message without letters."""
    lang = os.environ.get("LC_ALL") or os.environ.get("LANG") or ""
    return {"language_hint": lang.split(".", 1)[0]} if lang and lang not in ("C", "POSIX") else {}


def choose(typed: str, buttons: tuple) -> str:
    """A number (ASCII or Persian digits) picks the matching button of the last reply; anything
    else is sent as typed."""
    if typed.isdigit() and 1 <= int(typed) <= len(buttons):
        return buttons[int(typed) - 1].payload
    return typed


async def chat(settings: Settings, content: Content, model_path: Path, sender: str | None = None) -> None:
    from bot.app.server import build_router
    from bot.assistant.rasa import RasaAssistant

    await asyncio.to_thread(migrate, settings.database_url)
    print("Loading the assistant...", flush=True)
    assistant = await asyncio.to_thread(RasaAssistant.load, model_path, settings, content)
    router = build_router(settings, content, assistant)
    sender = sender or f"terminal-{getpass.getuser()}"
    print(f"Chatting as '{sender}'. Type 'exit' or press Ctrl-D to leave; a number taps a button.")
    buttons: tuple = ()
    while True:
        try:
            typed = await asyncio.to_thread(input, "you> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if typed.strip().lower() in QUIT:
            return
        try:
            replies = await router.handle(
                InboundMessage(
                    channel=CHANNEL, sender_id=sender, text=choose(typed.strip(), buttons), metadata=language_hint()
                )
            )
        except InvalidMessage as invalid:
            print(f"bot> Sorry, I can't read that: {invalid.reason}.")
            continue
        buttons = ()
        for reply in replies:
            print(render(reply))
            buttons = reply.buttons or buttons
