"""Real headless Chromium for the browser tests, and the widget's two gestures they all use.

Debian's chromium, not `playwright install` (that downloads browsers; there is no network for it).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@contextmanager
def launched_chromium() -> Iterator[Browser]:
    assert shutil.which("chromium"), "Chromium is not installed: apt-get install chromium (make test does)"
    expect.set_options(timeout=30_000)  # an upper bound for the model's answer, not a timing
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(context: BrowserContext) -> Page:
    """A page that dismisses dialogs and keeps their messages in `page.dialogs`: a script that got
    in through a message and calls alert() shows up there."""
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    return page


def say(page: Page, text: str) -> None:
    """Type a message into the open widget and send it with Enter."""
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")


def bubble(page: Page, author: str, text: str):
    """The widget's message bubbles from `author` (customer, bot, agent) whose whole text is `text`."""
    return page.locator(f".log .msg.{author} .bubble").filter(has_text=re.compile("^" + re.escape(text) + "$"))
