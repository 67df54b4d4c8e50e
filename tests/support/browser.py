"""Real headless Chromium for the browser tests, the widget's two gestures they all use, and the
console's sign-in.

Debian's chromium, not `playwright install` (that downloads browsers; there is no network for it).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.support.desk_helpers import PASSWORD
from tests.support.e2e_server import RunningServer

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


@contextmanager
def page_opener(browser: Browser) -> Iterator[Callable[[], Page]]:
    """Opens pages, each in a new context (its own cookies and storage: another person); the
    contexts are closed on leaving."""
    contexts: list[BrowserContext] = []

    def open_page() -> Page:
        context = browser.new_context()
        contexts.append(context)
        return new_page(context)

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


def sign_in(page: Page, server: RunningServer, username: str) -> None:
    """Sign a staff member (added with desk_helpers.add_staff) in to the console from its login page."""
    page.goto(server.url + "/desk")
    expect(page).to_have_url(re.compile("/desk/login$"))
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Queue")).to_be_visible()


def say(page: Page, text: str) -> None:
    """Type a message into the open widget and send it with Enter."""
    box = page.get_by_label("Your message")
    box.fill(text)
    box.press("Enter")


def bubble(page: Page, author: str, text: str):
    """The widget's message bubbles from `author` (customer, bot, agent) whose whole text is `text`."""
    return page.locator(f".log .msg.{author} .bubble").filter(has_text=re.compile("^" + re.escape(text) + "$"))
